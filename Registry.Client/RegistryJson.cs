using System.Text.Json;

namespace MlOps.Registry.Client;

/// <summary>The JSON settings of the registry API (ASP.NET Core's web defaults: camelCase, case-insensitive reads).</summary>
public static class RegistryJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}
