using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.DependencyInjection;
using MlOps.PredictionLog;
using MlOps.Registry.Api.PredictionLogs;
using MlOps.Registry.Client;
using MlOps.Registry.Client.PredictionLogs;
using MlOps.Registry.Client.Problems;

namespace MlOps.Registry.Api.Tests;

/// <summary>Prediction log files: upload (footer checked), listing, retention. Each test uses its own model name.</summary>
public sealed class PredictionLogsTests(RegistryFixture registry) : IClassFixture<RegistryFixture>
{
    private readonly RegistryClient trainer = registry.CreateRegistryClient(RegistryRole.Trainer);

    internal static readonly DateTime T0 = new(2026, 11, 30, 10, 0, 0, DateTimeKind.Utc);

    internal static PredictionLogRow Prediction(string model, int version, DateTime at, string inputs, string? arm = null, string? id = null) =>
        new(id ?? Guid.CreateVersion7(new DateTimeOffset(at)).ToString(), model, version, "production", arm, at, 0.5,
            inputs, """{"label":"good"}""", null, "good");

    internal static async Task<MemoryStream> PredictionsFileAsync(params PredictionLogRow[] rows)
    {
        var file = new MemoryStream();
        await PredictionLogWriter.WritePredictionsAsync(rows, file);
        file.Position = 0;
        return file;
    }

    internal static async Task<MemoryStream> FeedbackFileAsync(params FeedbackRow[] rows)
    {
        var file = new MemoryStream();
        await PredictionLogWriter.WriteFeedbackAsync(rows, file);
        file.Position = 0;
        return file;
    }

    private static DateOnly Day(DateTime t) => DateOnly.FromDateTime(t);

    private async Task<PredictionLogFile> UploadPredictionsAsync(string model, int version, params DateTime[] times)
    {
        var rows = times.Select(t => Prediction(model, version, t, """{"age":30,"home":"rent"}""")).ToArray();
        return await trainer.UploadPredictionLogFileAsync(model, PredictionLogFileKinds.Predictions, version, Day(times[0]), await PredictionsFileAsync(rows));
    }

    private async Task<HttpResponseMessage> PostRawAsync(string model, string query, byte[] body, RegistryRole role = RegistryRole.Trainer)
    {
        using var http = registry.CreateHttpClient(role);
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(RegistryClient.ParquetMediaType);
        return await http.PostAsync($"api/v1/prediction-logs/{model}/files{query}", content);
    }

    private async Task<List<string>> KeysAsync(string prefix)
    {
        using var s3 = registry.CreateS3Client();
        var listed = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = registry.Bucket, Prefix = prefix });
        return (listed.S3Objects ?? []).Select(o => o.Key).ToList();
    }

    [Fact]
    public async Task Upload_indexes_the_file_and_stores_its_bytes_under_the_partitioned_key()
    {
        await ModelArtifacts.RegisterAsync(trainer, "plog-upload", seed: 1);
        var rows = new[] { T0, T0.AddMinutes(5), T0.AddMinutes(2) }
            .Select(t => Prediction("plog-upload", 1, t, """{"age":30,"home":"rent"}""")).ToArray();
        var bytes = (await PredictionsFileAsync(rows)).ToArray();

        var file = await trainer.UploadPredictionLogFileAsync("plog-upload", PredictionLogFileKinds.Predictions, 1, Day(T0), new MemoryStream(bytes));

        Assert.Equal("plog-upload", file.Model);
        Assert.Equal(PredictionLogFileKinds.Predictions, file.Kind);
        Assert.Equal(1, file.Version);
        Assert.Equal(Day(T0), file.Date);
        Assert.Equal(3, file.Rows);
        Assert.Equal(bytes.Length, file.SizeBytes);
        Assert.Equal(new DateTimeOffset(T0), file.MinTimestamp);
        Assert.Equal(new DateTimeOffset(T0.AddMinutes(5)), file.MaxTimestamp);
        Assert.Equal($"prediction-logs/plog-upload/predictions/version=1/date=2026-11-30/{file.Id}.parquet", file.Key);

        using var s3 = registry.CreateS3Client();
        using var stored = await s3.GetObjectAsync(registry.Bucket, file.Key);
        using var copy = new MemoryStream();
        await stored.ResponseStream.CopyToAsync(copy);
        Assert.Equal(bytes, copy.ToArray());

        var feedback = await trainer.UploadPredictionLogFileAsync("plog-upload", PredictionLogFileKinds.Feedback, null, Day(T0),
            await FeedbackFileAsync(new FeedbackRow(rows[0].PredictionId, "plog-upload", "bad", T0.AddHours(1), "trainer")));
        Assert.Null(feedback.Version);
        Assert.Equal($"prediction-logs/plog-upload/feedback/date=2026-11-30/{feedback.Id}.parquet", feedback.Key);
        Assert.Equal(1, feedback.Rows);
    }

    [Fact]
    public async Task Bad_files_and_parameters_are_problems_and_store_nothing()
    {
        await ModelArtifacts.RegisterAsync(trainer, "plog-bad", seed: 2);
        var feedbackBytes = (await FeedbackFileAsync(new FeedbackRow("id-1", "plog-bad", "good", T0, null))).ToArray();
        var predictionBytes = (await PredictionsFileAsync(Prediction("plog-bad", 1, T0, "{}"))).ToArray();
        (string Query, byte[] Body, HttpStatusCode Status, string Detail)[] cases =
        [
            ("?kind=predictions&version=1&date=2026-11-30", Encoding.UTF8.GetBytes("a,b\n1,2\n"), HttpStatusCode.BadRequest, "Not a readable Parquet file"),
            ("?kind=predictions&version=1&date=2026-11-30", [], HttpStatusCode.BadRequest, "Not a readable Parquet file"),
            ("?kind=predictions&version=1&date=2026-11-30", feedbackBytes, HttpStatusCode.BadRequest, "column 'version' is missing"),
            ("?kind=predictions&version=1&date=2026-11-30", predictionBytes[..^9], HttpStatusCode.BadRequest, "Not a readable Parquet file"),
            ("?kind=predictions&date=2026-11-30", predictionBytes, HttpStatusCode.BadRequest, "version"),
            ("?kind=feedback&version=1&date=2026-11-30", feedbackBytes, HttpStatusCode.BadRequest, "version is for predictions"),
            ("?kind=logs&version=1&date=2026-11-30", predictionBytes, HttpStatusCode.BadRequest, "kind must be one of"),
            ("?kind=predictions&version=1&date=30.11.2026", predictionBytes, HttpStatusCode.BadRequest, "yyyy-MM-dd"),
            ("?kind=predictions&version=1", predictionBytes, HttpStatusCode.BadRequest, "yyyy-MM-dd"),
        ];
        foreach (var (query, body, status, detail) in cases)
        {
            using var response = await PostRawAsync("plog-bad", query, body);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, $"{query} ({body.Length} bytes): {(int)response.StatusCode} {text}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains(detail, text);
        }
        using (var unknown = await PostRawAsync("plog-no-such-model", "?kind=predictions&version=1&date=2026-11-30", predictionBytes))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        }
        using (var reader = await PostRawAsync("plog-bad", "?kind=predictions&version=1&date=2026-11-30", predictionBytes, RegistryRole.Reader))
        {
            Assert.Equal(HttpStatusCode.Forbidden, reader.StatusCode);
        }
        using (var anonymous = await PostRawAsync("plog-bad", "?kind=predictions&version=1&date=2026-11-30", predictionBytes, RegistryRole.Anonymous))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        Assert.Empty((await trainer.ListPredictionLogFilesAsync("plog-bad")).Files);
        Assert.Empty(await KeysAsync("prediction-logs/plog-bad/"));
    }

    [Fact]
    public async Task List_pages_by_key_and_filters_by_kind_version_and_time()
    {
        await ModelArtifacts.RegisterAsync(trainer, "plog-list", seed: 3);
        await ModelArtifacts.RegisterAsync(trainer, "plog-list", seed: 4);
        var a = await UploadPredictionsAsync("plog-list", 1, T0, T0.AddMinutes(1));
        var b = await UploadPredictionsAsync("plog-list", 2, T0.AddHours(1));
        var c = await UploadPredictionsAsync("plog-list", 2, T0.AddHours(2), T0.AddHours(3));
        var f = await trainer.UploadPredictionLogFileAsync("plog-list", PredictionLogFileKinds.Feedback, null, Day(T0),
            await FeedbackFileAsync(new FeedbackRow("x", "plog-list", "good", T0.AddHours(4), null)));

        var reader = registry.CreateRegistryClient(RegistryRole.Reader);
        var first = await reader.ListPredictionLogFilesAsync("plog-list", limit: 3);
        Assert.Equal([a.Id, b.Id, c.Id], first.Files.Select(x => x.Id));
        var second = await reader.ListPredictionLogFilesAsync("plog-list", after: first.Next, limit: 3);
        Assert.Equal([f.Id], second.Files.Select(x => x.Id));
        Assert.Null(second.Next);

        Assert.Equal([a.Id, b.Id, c.Id], (await reader.ListPredictionLogFilesAsync("plog-list", kind: PredictionLogFileKinds.Predictions)).Files.Select(x => x.Id));
        Assert.Equal([b.Id, c.Id], (await reader.ListPredictionLogFilesAsync("plog-list", version: 2)).Files.Select(x => x.Id));
        // Overlap with [T0 + 30 min, T0 + 2 h): b only (c starts at 2 h, a ends at 1 min).
        var window = await reader.ListPredictionLogFilesAsync("plog-list", kind: PredictionLogFileKinds.Predictions,
            from: new DateTimeOffset(T0.AddMinutes(30)), to: new DateTimeOffset(T0.AddHours(2)));
        Assert.Equal([b.Id], window.Files.Select(x => x.Id));

        var bad = await Assert.ThrowsAsync<RegistryApiException>(() => reader.ListPredictionLogFilesAsync("plog-list", limit: 0));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        bad = await Assert.ThrowsAsync<RegistryApiException>(() => reader.ListPredictionLogFilesAsync("plog-list", kind: "nope"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        bad = await Assert.ThrowsAsync<RegistryApiException>(() => reader.ListPredictionLogFilesAsync("plog-list",
            from: new DateTimeOffset(T0.AddHours(1)), to: new DateTimeOffset(T0)));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        using var http = registry.CreateHttpClient(RegistryRole.Reader);
        using var garbled = await http.GetAsync("api/v1/prediction-logs/plog-list/files?from=yesterday");
        Assert.Equal(HttpStatusCode.BadRequest, garbled.StatusCode);
    }

    [Fact]
    public async Task Retention_deletes_old_files_object_and_row_and_keeps_recent_ones()
    {
        await ModelArtifacts.RegisterAsync(trainer, "plog-retention", seed: 5);
        var now = DateTimeOffset.UtcNow;
        var old = await UploadPredictionsAsync("plog-retention", 1, now.UtcDateTime.AddDays(-31));
        var recent = await UploadPredictionsAsync("plog-retention", 1, now.UtcDateTime.AddDays(-29));
        Assert.Equal(2, (await KeysAsync("prediction-logs/plog-retention/")).Count);

        // The background service runs this same sweep on its timer; called here to not wait for it.
        var deleted = await registry.Services.GetRequiredService<PredictionLogRetention>().SweepAsync(now, CancellationToken.None);

        Assert.True(deleted >= 1);
        Assert.Equal([recent.Id], (await trainer.ListPredictionLogFilesAsync("plog-retention")).Files.Select(f => f.Id));
        Assert.Equal([recent.Key], await KeysAsync("prediction-logs/plog-retention/"));
        Assert.DoesNotContain(old.Key, await KeysAsync("prediction-logs/"));
    }
}
