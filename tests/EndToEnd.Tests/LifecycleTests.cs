using System.Net.Http.Json;
using System.Text.Json.Nodes;
using MlOps.EndToEnd.Tests.Infrastructure;
using MlOps.ModelBundle.Explaining;
using MlOps.ModelBundle.Features;
using MlOps.ModelBundle.Scoring;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Jobs;
using MlOps.Registry.Client.Serving;
using Xunit.Abstractions;

namespace MlOps.EndToEnd.Tests;

/// <summary>Upload, train, register, promote, serve, promote a better model under load, roll back.</summary>
[Collection(LiveSystemCollection.Name)]
public sealed class LifecycleTests(LiveSystem system, ITestOutputHelper output)
{
    [Fact]
    public async Task First_model_is_trained_once_promoted_and_served_by_both_replicas_as_offline()
    {
        var model = await system.EnsureProductionModelAsync();
        var reader = system.RegistryClient(LiveSystem.ReaderKey);

        var alias = await reader.GetAliasAsync(LiveSystem.ModelName, LiveSystem.Alias);
        Assert.NotNull(alias);
        var versions = await reader.ListModelVersionsAsync(LiveSystem.ModelName);
        Assert.Single(versions, v => v.RunId == model.RunId);

        var rows = SampleData.ReadRows(40);
        var jsonRows = rows.Select(r => SampleData.ToJson(r, model.InputSchema)).ToList();

        // Offline: the registered artifact, loaded and scored in this process.
        await using var download = await reader.OpenArtifactAsync(LiveSystem.ModelName, model.Version);
        var offline = await ScoringModel.LoadAsync(download.Content, CancellationToken.None);
        var expected = rows.Select(r => offline.Predict(Encode(offline.Encoder, r)).Value!.Value).ToList();

        foreach (var replica in system.Serving)
        {
            using var http = LiveSystem.Http(replica.BaseAddress);
            await ServingProbe.WaitForVersionAsync(http, LiveSystem.ModelName, alias.Version, TimeSpan.FromSeconds(30));
            var answer = await ServingProbe.PredictAsync(http, LiveSystem.ModelName, jsonRows);
            Assert.Equal(alias.Version, answer.Version);
            Assert.Equal(expected.Count, answer.Predictions.Count);
            for (var i = 0; i < expected.Count; i++)
                Assert.Equal(expected[i], answer.Predictions[i].Value!.Value, 1e-5);
            // The trainer's bundle carries its plain trees: a replica predicts and explains (TreeSHAP) with them
            // without mapping any ML.NET assembly.
            using var explain = await http.PostAsync($"v1/models/{LiveSystem.ModelName}/explain",
                JsonContent.Create(new JsonObject { ["features"] = jsonRows[0].DeepClone() }));
            Assert.True(explain.IsSuccessStatusCode, await explain.Content.ReadAsStringAsync());
            var explained = await explain.Content.ReadFromJsonAsync<ExplainResponse>(RegistryJson.Options);
            Assert.Equal(TreeExplainer.Method, explained!.Method);
            var maps = await File.ReadAllLinesAsync($"/proc/{replica.ProcessId}/maps");
            Assert.DoesNotContain(maps, line => line.Contains("/Microsoft.ML", StringComparison.Ordinal));
            Assert.Contains(maps, line => line.Contains("/MlOps.ModelBundle.dll", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Better_model_is_promoted_and_both_replicas_swap_within_2s_without_a_failed_request_then_roll_back()
    {
        var first = await system.EnsureProductionModelAsync();
        var admin = system.RegistryClient(LiveSystem.AdminKey);
        var trainer = system.RegistryClient(LiveSystem.TrainerKey);
        var current = (await admin.GetAliasAsync(LiveSystem.ModelName, LiveSystem.Alias))!.Version;
        var row = SampleData.ToJson(SampleData.ReadRows(1)[0], first.InputSchema);
        foreach (var replica in system.Serving)
            await ServingProbe.WaitForVersionAsync(LiveSystem.Http(replica.BaseAddress), LiveSystem.ModelName, current, TimeSpan.FromSeconds(30));

        await using var load = new SteadyLoad(system.Serving, LiveSystem.ModelName, row);
        await Task.Delay(1000);

        // More trees at the same learning rate: a lower RMSE on the same split, so the gate promotes it.
        var job = await trainer.SubmitJobAsync(LiveSystem.AmesSpec(400), $"e2e-better-{Guid.NewGuid():N}");
        var done = await system.WaitForJobAsync(job.Id, TimeSpan.FromMinutes(3));
        Assert.True(done.Status == JobStatuses.Completed, $"{done.Status}: {done.Error}");
        Assert.True(done.Promoted, $"the better model was not promoted: {done.Message}");
        var promoted = (await admin.GetAliasAsync(LiveSystem.ModelName, LiveSystem.Alias))!;
        Assert.Equal(done.ModelVersion, promoted.Version);
        var swap = await WaitForSwapAsync(load, promoted.Version, promoted.UpdatedAt);

        var rolledBack = await admin.SetAliasAsync(LiveSystem.ModelName, LiveSystem.Alias, current, "e2e roll back");
        var back = await WaitForSwapAsync(load, current, rolledBack.UpdatedAt);
        await Task.Delay(500);
        await load.StopAsync();

        output.WriteLine($"promotion swap: {string.Join(", ", swap.Select(s => $"{s.Key} {s.Value.TotalMilliseconds:F0} ms"))}; " +
                         $"roll back: {string.Join(", ", back.Select(s => $"{s.Key} {s.Value.TotalMilliseconds:F0} ms"))}; " +
                         $"{load.Answers.Count} answers, {load.Failures.Count} failed");
        Figures.Record("swap", $"promotion swap {string.Join(", ", swap.Select(s => $"{s.Key} {s.Value.TotalMilliseconds:F0} ms"))}; roll back {string.Join(", ", back.Select(s => $"{s.Key} {s.Value.TotalMilliseconds:F0} ms"))}; {load.Answers.Count} requests under load, {load.Failures.Count} failed");
        Assert.Empty(load.Failures);
        Assert.All(swap.Values.Concat(back.Values), d => Assert.True(d <= TimeSpan.FromSeconds(2), $"swap took {d.TotalMilliseconds:F0} ms"));
    }

    /// <summary>How long after the alias moved each replica first answered with the new version.</summary>
    private async Task<Dictionary<string, TimeSpan>> WaitForSwapAsync(SteadyLoad load, int version, DateTimeOffset movedAt)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline && system.Serving.Any(r => load.FirstAnswer(r.Name, version, movedAt) is null))
            await Task.Delay(50);
        return system.Serving.ToDictionary(
            r => r.Name,
            r => (load.FirstAnswer(r.Name, version, movedAt) ?? throw new TimeoutException($"{r.Name} never answered with v{version}\n{system.Logs()}")) - movedAt);
    }

    private static float[] Encode(FeatureEncoder encoder, Dictionary<string, string?> row)
    {
        var vector = new float[encoder.Length];
        encoder.Reset(vector);
        for (var i = 0; i < encoder.Columns.Count; i++)
        {
            var column = encoder.Columns[i];
            var value = row[column.Name];
            if (column.Kind == FeatureKind.Numeric)
                encoder.SetNumeric(vector, i, value is null ? null : double.Parse(value, System.Globalization.CultureInfo.InvariantCulture));
            else
                encoder.SetCategorical(vector, i, value);
        }
        return vector;
    }
}
