using System.Text.Json;
using MlOps.Registry.Client;

namespace MlOps.Registry.Api.Infrastructure;

/// <summary>jsonb columns hold the client records serialized with the API's own JSON settings.</summary>
public static class Json
{
    public static string Write<T>(T value) => JsonSerializer.Serialize(value, RegistryJson.Options);

    public static T Read<T>(string json) => JsonSerializer.Deserialize<T>(json, RegistryJson.Options)
        ?? throw new InvalidOperationException($"Stored JSON is not a {typeof(T).Name}.");

    public static IReadOnlyDictionary<string, string> ReadStringMap(string json) => Read<Dictionary<string, string>>(json);
}
