using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace MlOps.AppHost.Dashboard;

/// <summary>
/// Dashboard commands on the registry resource for what an operator otherwise does with curl: submit the
/// sample job, move an alias to a version (promote), move it back to the version it held before (roll back).
/// They call the registry's API with the admin key; the result (or the registry's problem detail) is shown.
/// </summary>
public static class RegistryCommands
{
    public static IResourceBuilder<ProjectResource> WithRegistryCommands(this IResourceBuilder<ProjectResource> registry,
        IResourceBuilder<ParameterResource> adminKey, string samplesFolder)
    {
        var endpoint = registry.GetEndpoint("http");
        return registry
            .WithCommand("submit-sample-job", "Submit the sample job",
                ctx => RunAsync(endpoint, adminKey, http => SubmitSampleJobAsync(http, samplesFolder, ctx.CancellationToken), ctx.CancellationToken),
                new CommandOptions
                {
                    Description = $"Uploads samples/{SampleJob.DatasetFile} (same bytes: same version) and queues samples/{SampleJob.SpecFile}.",
                    IconName = "PlayCircle",
                    UpdateState = RunningOnly,
                })
            .WithCommand("promote", "Promote a version",
                ctx => RunAsync(endpoint, adminKey, http => PromoteAsync(http, ctx.Arguments, ctx.CancellationToken), ctx.CancellationToken),
                new CommandOptions
                {
                    Description = "Moves an alias to a model version (admin key).",
                    IconName = "ArrowCircleUp",
                    Arguments = [ModelInput(), AliasInput(), new InteractionInput { Name = "version", Label = "Version", InputType = InputType.Number, Required = true }],
                    ConfirmationMessage = "Move the alias? Serving replicas that follow it swap to that version.",
                    UpdateState = RunningOnly,
                })
            .WithCommand("rollback", "Roll back an alias",
                ctx => RunAsync(endpoint, adminKey, http => RollBackAsync(http, ctx.Arguments, ctx.CancellationToken), ctx.CancellationToken),
                new CommandOptions
                {
                    Description = "Moves an alias back to the version it held before its last move (admin key).",
                    IconName = "ArrowUndo",
                    Arguments = [ModelInput(), AliasInput()],
                    ConfirmationMessage = "Roll the alias back to its previous version?",
                    UpdateState = RunningOnly,
                });
    }

    private static InteractionInput ModelInput() =>
        new() { Name = "model", Label = "Model", InputType = InputType.Text, Required = true, Value = SampleJob.Model };

    private static InteractionInput AliasInput() =>
        new() { Name = "alias", Label = "Alias", InputType = InputType.Text, Required = true, Value = SampleJob.Alias };

    private static ResourceCommandState RunningOnly(UpdateCommandStateContext ctx) =>
        ctx.ResourceSnapshot.State?.Text == KnownResourceStates.Running ? ResourceCommandState.Enabled : ResourceCommandState.Disabled;

    private static async Task<ExecuteCommandResult> RunAsync(EndpointReference endpoint, IResourceBuilder<ParameterResource> adminKey,
        Func<HttpClient, Task<ExecuteCommandResult>> action, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = new Uri(endpoint.Url), Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await adminKey.Resource.GetValueAsync(ct));
        try
        {
            return await action(http);
        }
        catch (HttpRequestException e)
        {
            return CommandResults.Failure($"registry-api did not answer: {e.Message}");
        }
    }

    private static async Task<ExecuteCommandResult> SubmitSampleJobAsync(HttpClient http, string samplesFolder, CancellationToken ct)
    {
        await using var csv = File.OpenRead(Path.Combine(samplesFolder, SampleJob.DatasetFile));
        using var content = new StreamContent(csv);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        using var upload = await http.PutAsync($"/api/v1/datasets/{SampleJob.Dataset}", content, ct);
        if (await ProblemAsync(upload, ct) is { } uploadProblem)
        {
            return CommandResults.Failure($"dataset upload refused: {uploadProblem}");
        }
        var spec = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(samplesFolder, SampleJob.SpecFile), ct))!;
        using var submit = await http.PostAsJsonAsync("/api/v1/jobs", new JsonObject { ["spec"] = spec }, ct);
        if (await ProblemAsync(submit, ct) is { } submitProblem)
        {
            return CommandResults.Failure($"job refused: {submitProblem}");
        }
        var job = JsonNode.Parse(await submit.Content.ReadAsStringAsync(ct))!;
        return CommandResults.Success($"Job {job["id"]} {job["status"]}: {SampleJob.Model} trains on {SampleJob.Dataset}; the gate decides whether it becomes {SampleJob.Alias}.");
    }

    private static async Task<ExecuteCommandResult> PromoteAsync(HttpClient http, InteractionInputCollection args, CancellationToken ct)
    {
        var (model, alias) = (args.GetString("model")!, args.GetString("alias")!);
        return await MoveAliasAsync(http, model, alias, args.GetInt32("version"), "dashboard: promote", ct);
    }

    private static async Task<ExecuteCommandResult> RollBackAsync(HttpClient http, InteractionInputCollection args, CancellationToken ct)
    {
        var (model, alias) = (args.GetString("model")!, args.GetString("alias")!);
        using var history = await http.GetAsync($"/api/v1/models/{Uri.EscapeDataString(model)}/aliases/{Uri.EscapeDataString(alias)}/history", ct);
        if (await ProblemAsync(history, ct) is { } problem)
        {
            return CommandResults.Failure(problem);
        }
        // Oldest first: the last entry is the current move, and says which version it replaced.
        var moves = JsonNode.Parse(await history.Content.ReadAsStringAsync(ct))!.AsArray();
        var previous = (int?)moves.LastOrDefault()?["previousVersion"];
        return previous is { } version
            ? await MoveAliasAsync(http, model, alias, version, "dashboard: roll back", ct)
            : CommandResults.Failure($"{model}@{alias} has no earlier version to roll back to.");
    }

    private static async Task<ExecuteCommandResult> MoveAliasAsync(HttpClient http, string model, string alias, int version, string reason,
        CancellationToken ct)
    {
        using var response = await http.PutAsJsonAsync($"/api/v1/models/{Uri.EscapeDataString(model)}/aliases/{Uri.EscapeDataString(alias)}",
            new { version, reason }, ct);
        return await ProblemAsync(response, ct) is { } problem
            ? CommandResults.Failure(problem)
            : CommandResults.Success($"{model}@{alias} -> version {version}");
    }

    /// <summary>The registry's problem detail (RFC 9457) as one line, or null on success.</summary>
    private static async Task<string?> ProblemAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
        {
            return null;
        }
        var body = await response.Content.ReadAsStringAsync(ct);
        try
        {
            var problem = JsonNode.Parse(body);
            return $"{(int)response.StatusCode} {problem?["title"]}: {problem?["detail"]}";
        }
        catch (System.Text.Json.JsonException)
        {
            return $"{(int)response.StatusCode} {body}";
        }
    }
}
