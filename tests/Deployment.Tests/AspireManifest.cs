using System.Text.Json;
using System.Text.RegularExpressions;

namespace MlOps.Deployment.Tests;

/// <summary>The committed aspire-manifest.json, read the way deployment tools read it.</summary>
internal sealed partial class AspireManifest
{
    private AspireManifest(JsonElement resources) => Resources = resources;

    public JsonElement Resources { get; }

    public static AspireManifest Load()
    {
        using var doc = JsonDocument.Parse(RepoFiles.Read("aspire-manifest.json"));
        return new AspireManifest(doc.RootElement.GetProperty("resources").Clone());
    }

    public IEnumerable<(string Name, JsonElement Resource)> All =>
        Resources.EnumerateObject().Select(p => (p.Name, p.Value));

    public IEnumerable<(string Name, JsonElement Resource)> OfType(string type) =>
        All.Where(r => r.Resource.GetProperty("type").GetString() == type);

    public JsonElement this[string name] => Resources.GetProperty(name);

    public IReadOnlyDictionary<string, string> Env(string name) =>
        this[name].TryGetProperty("env", out var env)
            ? env.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "")
            : new Dictionary<string, string>();

    /// <summary>Every string value anywhere in the manifest, with the JSON path it sits at.</summary>
    public IEnumerable<(string Path, string Value)> Strings() => StringsUnder("resources", Resources);

    /// <summary>The <c>{resource.path...}</c> references of a manifest expression.</summary>
    public static IEnumerable<string[]> References(string value) =>
        ReferenceRegex().Matches(value).Select(m => m.Groups[1].Value.Split('.'));

    private static IEnumerable<(string, string)> StringsUnder(string path, JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => e.EnumerateObject().SelectMany(p => StringsUnder($"{path}.{p.Name}", p.Value)),
        JsonValueKind.Array => e.EnumerateArray().SelectMany((x, i) => StringsUnder($"{path}[{i}]", x)),
        JsonValueKind.String => [(path, e.GetString()!)],
        _ => [],
    };

    [GeneratedRegex(@"\{([A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)+)\}")]
    private static partial Regex ReferenceRegex();
}
