using System.Net;
using System.Text;
using MlOps.PredictionLog;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Jobs;
using MlOps.Registry.Client.PredictionLogs;
using MlOps.Registry.Client.Problems;
using static MlOps.Registry.Api.Tests.PredictionLogsTests;

namespace MlOps.Registry.Api.Tests;

/// <summary>A window of logged, labelled predictions becomes a content-addressed dataset version with lineage.</summary>
public sealed class WindowMaterializationTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    private readonly RegistryClient trainer = registry.CreateRegistryClient(RegistryRole.Trainer);

    private static readonly DateTimeOffset From = new(T0);
    private static readonly DateTimeOffset To = new(T0.AddHours(1));

    /// <summary>
    /// Model <paramref name="model"/> v1 and v2 (label "status"); v1 served p1-p3 in the window, v2 served p4, a shadow
    /// arm scored p1's row again, p5 was served after the window; p1 has two truths (the later wins), p3 none.
    /// </summary>
    private async Task<(PredictionLogFile V1, PredictionLogFile V2, PredictionLogFile Feedback1, PredictionLogFile Feedback2)> SeedAsync(string model)
    {
        await ModelArtifacts.RegisterAsync(trainer, model, seed: 11);
        await ModelArtifacts.RegisterAsync(trainer, model, seed: 12);
        var day = DateOnly.FromDateTime(T0);
        var v1 = await trainer.UploadPredictionLogFileAsync(model, PredictionLogFileKinds.Predictions, 1, day, await PredictionsFileAsync(
            Prediction(model, 1, T0.AddMinutes(1), """{"age":30,"home":"rent"}""", id: "p1"),
            Prediction(model, 1, T0.AddMinutes(1), """{"age":30,"home":"rent"}""", arm: "shadow", id: "p1-shadow"),
            Prediction(model, 1, T0.AddMinutes(2), """{"home":"own, big","age":41.5}""", id: "p2"),
            Prediction(model, 1, T0.AddMinutes(3), """{"age":null,"home":"rent"}""", id: "p3"),
            Prediction(model, 1, T0.AddHours(2), """{"age":50,"home":"own"}""", id: "p5")));
        var v2 = await trainer.UploadPredictionLogFileAsync(model, PredictionLogFileKinds.Predictions, 2, day, await PredictionsFileAsync(
            Prediction(model, 2, T0.AddMinutes(4), """{"age":25,"home":"own","extra":"x"}""", id: "p4")));
        var feedback1 = await trainer.UploadPredictionLogFileAsync(model, PredictionLogFileKinds.Feedback, null, day, await FeedbackFileAsync(
            new FeedbackRow("p1", model, "good", T0.AddMinutes(10), "trainer"),
            new FeedbackRow("p2", model, "bad", T0.AddMinutes(11), "trainer"),
            new FeedbackRow("p1-shadow", model, "bad", T0.AddMinutes(11), "trainer"),
            new FeedbackRow("p5", model, "good", T0.AddHours(3), "trainer"),
            new FeedbackRow("unknown", model, "good", T0.AddMinutes(12), "trainer")));
        var feedback2 = await trainer.UploadPredictionLogFileAsync(model, PredictionLogFileKinds.Feedback, null, day, await FeedbackFileAsync(
            new FeedbackRow("p1", model, "bad", T0.AddMinutes(20), "trainer"),
            new FeedbackRow("p4", model, "good", T0.AddMinutes(21), "trainer")));
        return (v1, v2, feedback1, feedback2);
    }

    private async Task<string> ContentAsync(string dataset, int version)
    {
        await using var download = await trainer.OpenDatasetContentAsync(dataset, version);
        using var reader = new StreamReader(download.Content, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }

    [Fact]
    public async Task Window_joins_feedback_latest_truth_wins_and_records_lineage()
    {
        var (v1, v2, feedback1, feedback2) = await SeedAsync("mat-join");

        var result = await trainer.MaterializePredictionLogAsync("mat-join", new MaterializeWindowRequest("mat-join-recent", From, To));

        Assert.True(result.Created);
        var version = result.Version;
        Assert.Equal(("mat-join-recent", 1, 3L), (version.Dataset, version.Version, version.Rows));
        // Rows in prediction id order; columns in order of first appearance, then the model's label holding the truth.
        Assert.Equal(
            "age,home,extra,status\r\n" +
            "30,rent,,bad\r\n" +
            "41.5,\"own, big\",,bad\r\n" +
            "25,own,x,good\r\n",
            await ContentAsync("mat-join-recent", 1));
        var expected = new DatasetLineageShape("mat-join", [1, 2], From, To, "status", [v1.Id, v2.Id], [feedback1.Id, feedback2.Id], 4, 3);
        Assert.Equal(expected, DatasetLineageShape.Of(version.Lineage!));

        var fetched = await registry.CreateRegistryClient(RegistryRole.Reader).GetDatasetVersionAsync("mat-join-recent", 1);
        Assert.Equal(expected, DatasetLineageShape.Of(fetched.Lineage!));
        Assert.Equal(expected, DatasetLineageShape.Of((await trainer.ListDatasetVersionsAsync("mat-join-recent")).Single().Lineage!));

        // Same window, same files: same bytes, so the same version.
        var again = await trainer.MaterializePredictionLogAsync("mat-join", new MaterializeWindowRequest("mat-join-recent", From, To));
        Assert.False(again.Created);
        Assert.Equal((1, version.Sha256), (again.Version.Version, again.Version.Sha256));

        // Only v2: one row.
        var onlyV2 = await trainer.MaterializePredictionLogAsync("mat-join", new MaterializeWindowRequest("mat-join-recent", From, To, [2]));
        Assert.Equal((2, 1L), (onlyV2.Version.Version, onlyV2.Version.Rows));
        Assert.Equal([2], onlyV2.Version.Lineage!.Versions);
        Assert.Equal([v2.Id], onlyV2.Version.Lineage.PredictionFiles);
    }

    [Fact]
    public async Task Bad_windows_are_problems_and_create_nothing()
    {
        await SeedAsync("mat-bad");
        await ModelArtifacts.RegisterAsync(trainer, "mat-bad-silent", seed: 13);
        var reader = registry.CreateRegistryClient(RegistryRole.Reader);
        (string Model, MaterializeWindowRequest Request, HttpStatusCode Status, string Detail)[] cases =
        [
            ("mat-bad", new("mat-bad-ds", To, From), HttpStatusCode.BadRequest, "must be before"),
            ("mat-bad", new("mat-bad-ds", From, From), HttpStatusCode.BadRequest, "must be before"),
            ("mat-bad", new("../etc", From, To), HttpStatusCode.BadRequest, "dataset must be"),
            ("mat-bad", new("mat-bad-ds", From, To, []), HttpStatusCode.BadRequest, "versions"),
            ("mat-bad", new("mat-bad-ds", From, To, [0]), HttpStatusCode.BadRequest, "versions"),
            ("mat-bad", new("mat-bad-ds", From, To, [7]), HttpStatusCode.NotFound, "no version 7"),
            ("mat-no-such-model", new("mat-bad-ds", From, To), HttpStatusCode.NotFound, "does not exist"),
            ("mat-bad-silent", new("mat-bad-ds", From, To), HttpStatusCode.UnprocessableEntity, "No predictions"),
            ("mat-bad", new("mat-bad-ds", From.AddDays(-2), To.AddDays(-2)), HttpStatusCode.UnprocessableEntity, "No predictions"),
            // p3 alone is served in this minute, and it has no truth.
            ("mat-bad", new("mat-bad-ds", From.AddMinutes(3), From.AddMinutes(4)), HttpStatusCode.UnprocessableEntity, "none has feedback"),
        ];
        foreach (var (model, request, status, detail) in cases)
        {
            var e = await Assert.ThrowsAsync<RegistryApiException>(() => trainer.MaterializePredictionLogAsync(model, request));
            Assert.True(e.StatusCode == status, $"{model} {request}: {(int)e.StatusCode} {e.Message}");
            Assert.Contains(detail, e.Problem?.Detail);
        }
        var forbidden = await Assert.ThrowsAsync<RegistryApiException>(() => reader.MaterializePredictionLogAsync("mat-bad", new("mat-bad-ds", From, To)));
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Null(await trainer.GetDatasetAsync("mat-bad-ds"));
    }

    [Fact]
    public async Task A_window_larger_than_the_limit_is_refused()
    {
        await using var small = new RegistryApiFactory().WithSetting("Registry:PredictionLogs:MaxWindowRows", "2");
        var client = small.CreateRegistryClient(RegistryRole.Trainer);
        await ModelArtifacts.RegisterAsync(client, "mat-large", seed: 14);
        await client.UploadPredictionLogFileAsync("mat-large", PredictionLogFileKinds.Predictions, 1, DateOnly.FromDateTime(T0), await PredictionsFileAsync(
            Prediction("mat-large", 1, T0.AddMinutes(1), "{}"), Prediction("mat-large", 1, T0.AddMinutes(2), "{}"), Prediction("mat-large", 1, T0.AddMinutes(3), "{}")));

        var e = await Assert.ThrowsAsync<RegistryApiException>(() => client.MaterializePredictionLogAsync("mat-large", new("mat-large-ds", From, To)));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, e.StatusCode);
        Assert.Contains("at most 2", e.Problem?.Detail);
    }

    [Fact]
    public async Task A_job_on_a_window_is_stored_with_the_materialised_dataset_version()
    {
        await SeedAsync("mat-job");
        var window = new PredictionLogWindow("mat-job", From, To);
        var spec = new TrainingJobSpec("mat-job-exp", new DatasetRef(PredictionLog: window), TrainingTasks.Binary, "status",
            Register: new RegisterSpec("mat-job", "production"));

        var job = await trainer.SubmitJobAsync(spec);

        Assert.Equal("mat-job-log", job.Spec.Dataset.Name);
        Assert.Equal(1, job.Spec.Dataset.Version);
        Assert.Equal(("mat-job", From, To), (job.Spec.Dataset.PredictionLog!.Model, job.Spec.Dataset.PredictionLog.From, job.Spec.Dataset.PredictionLog.To));
        var dataset = await trainer.GetDatasetVersionAsync("mat-job-log", 1);
        Assert.Equal(3, dataset.Rows);
        Assert.Equal("mat-job", dataset.Lineage!.Model);

        var named = await trainer.SubmitJobAsync(spec with { Dataset = new DatasetRef("mat-job-named", PredictionLog: window) });
        Assert.Equal(("mat-job-named", 1), (named.Spec.Dataset.Name, named.Spec.Dataset.Version));

        (TrainingJobSpec Spec, HttpStatusCode Status, string Detail)[] bad =
        [
            (spec with { Label = "age" }, HttpStatusCode.BadRequest, "the window's label column is 'status'"),
            (spec with { Dataset = new DatasetRef("x", 1, window) }, HttpStatusCode.BadRequest, "spec.dataset.version cannot be given"),
            (spec with { Dataset = new DatasetRef(PredictionLog: window with { To = From }) }, HttpStatusCode.BadRequest, "from must be before to"),
            (spec with { Dataset = new DatasetRef(PredictionLog: window with { Model = "no/model" }) }, HttpStatusCode.BadRequest, "spec.dataset.predictionLog.model"),
            (spec with { Dataset = new DatasetRef(PredictionLog: window with { Versions = [] }) }, HttpStatusCode.BadRequest, "versions"),
            (spec with { Dataset = new DatasetRef(PredictionLog: window with { Model = "mat-job-nope" }) }, HttpStatusCode.NotFound, "does not exist"),
            (spec with { Dataset = new DatasetRef(PredictionLog: window with { From = From.AddDays(-9), To = To.AddDays(-9) }) }, HttpStatusCode.UnprocessableEntity, "No predictions"),
            (spec with { Dataset = new DatasetRef() }, HttpStatusCode.BadRequest, "spec.dataset needs a valid name"),
        ];
        foreach (var (badSpec, status, detail) in bad)
        {
            var e = await Assert.ThrowsAsync<RegistryApiException>(() => trainer.SubmitJobAsync(badSpec));
            Assert.True(e.StatusCode == status, $"{badSpec.Dataset}: {(int)e.StatusCode} {e.Message}");
            Assert.Contains(detail, e.Problem?.Detail);
        }
    }

    [Fact]
    public async Task The_job_spec_field_is_read_strictly()
    {
        using var http = registry.CreateHttpClient(RegistryRole.Trainer);
        string[] bodies =
        [
            """{"spec":{"experiment":"e","dataset":{"predictionLog":{"model":"m","from":"2026-11-30T10:00:00Z"}},"task":"binary","label":"status"}}""",
            """{"spec":{"experiment":"e","dataset":{"predictionLog":{"model":"m","from":"2026-11-30T10:00:00Z","to":"2026-11-30T11:00:00Z","window":3}},"task":"binary","label":"status"}}""",
            """{"spec":{"experiment":"e","dataset":{"predictionLog":{"model":"m","from":"yesterday","to":"2026-11-30T11:00:00Z"}},"task":"binary","label":"status"}}""",
            """{"spec":{"experiment":"e","dataset":{"predictionLog":{"model":"m","from":"2026-11-30T10:00:00Z","to":"2026-11-30T11:00:00Z","versions":["1"]}},"task":"binary","label":"status"}}""",
        ];
        foreach (var body in bodies)
        {
            using var response = await http.PostAsync("api/v1/jobs", new StringContent(body, Encoding.UTF8, "application/json"));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{body}: {(int)response.StatusCode} {text}");
            Assert.Contains("predictionLog", text);
        }
    }

    /// <summary>DatasetLineage with lists compared by value.</summary>
    private sealed record DatasetLineageShape(string Model, string Versions, DateTimeOffset From, DateTimeOffset To, string Label,
        string PredictionFiles, string FeedbackFiles, long LoggedRows, long LabelledRows)
    {
        public DatasetLineageShape(string model, int[] versions, DateTimeOffset from, DateTimeOffset to, string label,
            Guid[] predictionFiles, Guid[] feedbackFiles, long logged, long labelled)
            : this(model, string.Join(",", versions), from, to, label, string.Join(",", predictionFiles), string.Join(",", feedbackFiles), logged, labelled)
        {
        }

        public static DatasetLineageShape Of(DatasetLineage l) =>
            new(l.Model, l.Versions.ToArray(), l.From, l.To, l.Label, l.PredictionFiles.ToArray(), l.FeedbackFiles.ToArray(), l.LoggedRows, l.LabelledRows);
    }
}
