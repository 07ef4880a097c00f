using System.Text.Json;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Jobs;
using MlOps.Registry.Client.Json;

namespace MlOps.Training.Worker.Jobs;

/// <summary>
/// A job spec file (samples/jobs/*.json, Worker:Bootstrap:SpecPath) read with the registry's strict rules: an unknown
/// field or a number written as a string is an error naming the field, not a silently different job.
/// </summary>
public static class JobSpecFile
{
    public static TrainingJobSpec Parse(ReadOnlySpan<byte> json, string path)
    {
        try
        {
            return JsonSerializer.Deserialize<TrainingJobSpec>(json, RegistryJson.Strict)
                ?? throw new JsonException($"{path} holds no job spec.");
        }
        catch (JsonException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new JsonException($"{path}: {JsonProblem.Describe(e, typeof(TrainingJobSpec), RegistryJson.Strict)}", e);
        }
    }
}
