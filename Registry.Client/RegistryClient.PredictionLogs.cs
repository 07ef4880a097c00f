using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using MlOps.Registry.Client.Datasets;
using MlOps.Registry.Client.PredictionLogs;

namespace MlOps.Registry.Client;

public sealed partial class RegistryClient
{
    /// <summary>Media type of a Parquet file.</summary>
    public const string ParquetMediaType = "application/vnd.apache.parquet";

    /// <summary>
    /// Streams one Parquet file to <c>POST /api/v1/prediction-logs/{model}/files</c> (trainer key). The registry reads
    /// its footer and refuses (400) a file that is not Parquet or lacks a column of <paramref name="kind"/>.
    /// <paramref name="version"/> is the serving model version (predictions only); <paramref name="date"/> the UTC day.
    /// </summary>
    public async Task<PredictionLogFile> UploadPredictionLogFileAsync(
        string model, string kind, int? version, DateOnly date, Stream parquet, CancellationToken ct = default)
    {
        var query = $"?kind={Seg(kind)}&date={date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}"
                    + (version is { } v ? "&version=" + v.ToString(CultureInfo.InvariantCulture) : "");
        using var request = new HttpRequestMessage(HttpMethod.Post, ApiPrefix + $"prediction-logs/{Seg(model)}/files{query}")
        {
            Content = new StreamContent(parquet, 81920),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(ParquetMediaType);
        using var response = await Http.SendAsync(request, ct).ConfigureAwait(false);
        return await ReadAsync<PredictionLogFile>(response, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// One page of a model's log files, oldest first, optionally filtered by kind, serving version and time
    /// (files whose rows overlap [<paramref name="from"/>, <paramref name="to"/>)). Pass the page's Next as <paramref name="after"/>.
    /// </summary>
    public Task<PredictionLogFilePage> ListPredictionLogFilesAsync(
        string model, string? kind = null, DateTimeOffset? from = null, DateTimeOffset? to = null, int? version = null,
        Guid? after = null, int? limit = null, CancellationToken ct = default)
    {
        var query = new List<string>();
        if (kind is not null) query.Add("kind=" + Seg(kind));
        if (from is { } f) query.Add("from=" + Seg(f.ToString("O", CultureInfo.InvariantCulture)));
        if (to is { } t) query.Add("to=" + Seg(t.ToString("O", CultureInfo.InvariantCulture)));
        if (version is { } v) query.Add("version=" + v.ToString(CultureInfo.InvariantCulture));
        if (after is { } a) query.Add("after=" + a.ToString());
        if (limit is { } l) query.Add("limit=" + l.ToString(CultureInfo.InvariantCulture));
        var path = $"prediction-logs/{Seg(model)}/files" + (query.Count == 0 ? "" : "?" + string.Join('&', query));
        return SendAsync<PredictionLogFilePage>(HttpMethod.Get, path, null, ct);
    }

    /// <summary>
    /// Materialises a window of logged, labelled predictions as a dataset version (trainer key). The same window over
    /// the same files gives the same bytes, hence the existing version (<see cref="DatasetUploadResult.Created"/> false).
    /// </summary>
    public async Task<DatasetUploadResult> MaterializePredictionLogAsync(string model, MaterializeWindowRequest request, CancellationToken ct = default)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, ApiPrefix + $"prediction-logs/{Seg(model)}/datasets")
        {
            Content = System.Net.Http.Json.JsonContent.Create(request, options: RegistryJson.Options),
        };
        using var response = await Http.SendAsync(message, ct).ConfigureAwait(false);
        var version = await ReadAsync<DatasetVersion>(response, ct).ConfigureAwait(false);
        return new DatasetUploadResult(version, response.StatusCode == HttpStatusCode.Created);
    }
}
