using System.Text.Json;
using System.Text.Json.Serialization;

namespace MlOps.Registry.Client.Problems;

/// <summary>An RFC 9457 problem details body as the registry sends it (own type: the client must not need ASP.NET Core).</summary>
public sealed record ApiProblem
{
    public string? Type { get; init; }
    public string? Title { get; init; }
    public int? Status { get; init; }
    public string? Detail { get; init; }
    public string? Instance { get; init; }

    /// <summary>Other members, e.g. <c>errors</c> for validation problems and <c>traceId</c>.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extensions { get; init; }
}
