using System.Text.Json.Nodes;

namespace MlOps.EndToEnd.Tests.Adversarial;

/// <summary>
/// A well-formed body for an operation, built from its OpenAPI request schema: every property the schema lists,
/// with a plausible value chosen by name (<see cref="Seeds"/>) or by type. The mutations start from it, so each
/// case differs from a plausible request in exactly one place.
/// </summary>
public sealed class BaselineBodies(JsonObject document, IReadOnlyDictionary<string, JsonNode?> seeds)
{
    private readonly JsonObject _schemas = document["components"]?["schemas"]?.AsObject() ?? [];

    /// <summary>Values that make a field plausible (and, for writes, harmless: missing datasets, unused aliases).</summary>
    public static readonly IReadOnlyDictionary<string, JsonNode?> DefaultSeeds = new Dictionary<string, JsonNode?>(StringComparer.OrdinalIgnoreCase)
    {
        ["name"] = "adv-name", ["experiment"] = "adv-experiment", ["model"] = "adv-model", ["alias"] = "adv-alias",
        ["task"] = "regression", ["label"] = "y", ["strategy"] = "grid", ["metric"] = "rmse", ["worker"] = "adv-worker",
        ["status"] = "running", ["kind"] = "tag", ["op"] = "=", ["key"] = "adv.key", ["value"] = "v", ["version"] = 1,
        ["leaseSeconds"] = 5, ["waitSeconds"] = 0, ["maxAttempts"] = 1, ["pageSize"] = 5, ["testFraction"] = 0.2,
        ["minImprovement"] = 0.0, ["learningRate"] = 0.1, ["numberOfIterations"] = 10, ["numberOfLeaves"] = 8,
        ["featureFraction"] = 1.0, ["subsampleFraction"] = 1.0, ["maxBinCountPerFeature"] = 255, ["minimumExampleCountPerLeaf"] = 5,
        // Left out so that no earlier answer short-circuits the case: an idempotency key's existing job, a page
        // token's check, an unknown parent run's 404 would each stop the request before the field reaches storage.
        ["idempotencyKey"] = null, ["pageToken"] = null, ["parentRunId"] = null,
        // A job's dataset by name: a predictionLog window next to it would refuse every job case at the dataset check.
        ["predictionLog"] = null,
        ["positiveClass"] = null, ["error"] = "adv failure", ["trials"] = 2, ["step"] = 1, ["type"] = "numeric", ["levels"] = null,
        ["space"] = new JsonObject { ["numberOfLeaves"] = new JsonArray(8, 16) }, ["features"] = new JsonArray("x1", "x2"),
    };

    public JsonNode? Build(JsonNode? schema, string? property = null, int depth = 0)
    {
        if (property is not null && seeds.TryGetValue(property, out var seed)) return seed?.DeepClone();
        if (schema is null || depth > 8) return "adv";
        if (schema["$ref"]?.GetValue<string>() is { } reference) return Build(_schemas[reference.Split('/')[^1]], property, depth + 1);
        if (schema["oneOf"] is JsonArray oneOf)
        {
            var concrete = oneOf.FirstOrDefault(s => s?["type"]?.ToString() != "null");
            return Build(concrete, property, depth + 1);
        }
        var types = schema["type"] switch
        {
            JsonArray a => a.Select(t => t!.GetValue<string>()).ToList(),
            JsonValue v => [v.GetValue<string>()],
            _ => [],
        };
        var type = types.FirstOrDefault(t => t != "null");
        var format = schema["format"]?.GetValue<string>();
        switch (type)
        {
            case "object" when schema["properties"] is JsonObject properties:
                var body = new JsonObject();
                foreach (var (name, child) in properties) body[name] = Build(child, name, depth + 1);
                return body;
            case "object":
                // A map: one entry, typed by additionalProperties (strings when the document does not say).
                var valueSchema = schema["additionalProperties"] as JsonObject;
                return new JsonObject { ["adv.k"] = valueSchema is null ? "v" : Build(valueSchema, null, depth + 1) };
            case "array":
                return new JsonArray(Build(schema["items"] ?? new JsonObject { ["type"] = "string" }, null, depth + 1));
            case "integer":
                return 1;
            case "number":
                return 0.5;
            case "boolean":
                return false;
            case "string" when format == "uuid":
                return Guid.NewGuid().ToString();
            case "string" when format == "date-time":
                return DateTimeOffset.UtcNow.ToString("O");
            default:
                return "adv";
        }
    }
}
