using System.Threading.Channels;
using Microsoft.Extensions.Options;
using MlOps.PredictionLog;
using MlOps.Serving.Api.Feedback;

namespace MlOps.Serving.Api.PredictionLog;

/// <summary>
/// The prediction log's writer, off the request path: takes sampled requests from <see cref="PredictionLogger"/>,
/// indexes their predictions for feedback, turns them into rows, batches rows per (model, version, date) and
/// writes each batch as one Parquet file once it reaches FlushRows or FlushSeconds, then stores it through the
/// registry. A failed store is retried with backoff (1 s doubling to 60 s, UploadAttempts in all) on its own loop,
/// so a slow registry never stalls the indexing; rows given up are counted. On shutdown everything buffered is
/// written and stored once more before the host's shutdown timeout.
/// </summary>
public sealed class PredictionLogService(
    PredictionLogger logger,
    PredictionIndex index,
    PredictionLogStore store,
    PredictionLogTelemetry telemetry,
    IOptions<PredictionLogOptions> options,
    ILogger<PredictionLogService> log) : BackgroundService
{
    private readonly PredictionLogOptions _options = options.Value;
    private readonly Dictionary<(string Model, int Version, DateOnly Date), Batch> _batches = [];
    private readonly Channel<Pending> _uploads = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private CancellationToken _shutdownDeadline = CancellationToken.None;

    public override Task StopAsync(CancellationToken cancellationToken)
    {
        // The drain after stoppingToken may use the rest of the host's shutdown time, no more.
        _shutdownDeadline = cancellationToken;
        logger.Complete();
        return base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var uploading = Task.Run(() => UploadLoopAsync(stoppingToken), CancellationToken.None);
        try
        {
            await CollectLoopAsync(stoppingToken);
        }
        finally
        {
            // Shutdown: whatever is still in the buffer becomes files, and the uploader gets them before it stops.
            while (logger.Reader.TryRead(out var entry)) Collect(entry);
            foreach (var key in _batches.Keys.ToList()) Flush(key);
            _uploads.Writer.TryComplete();
            await uploading;
        }
    }

    private async Task CollectLoopAsync(CancellationToken stoppingToken)
    {
        var tick = TimeSpan.FromSeconds(Math.Min(1, _options.FlushSeconds));
        while (!stoppingToken.IsCancellationRequested)
        {
            using (var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
            {
                wait.CancelAfter(tick);
                try
                {
                    if (!await logger.Reader.WaitToReadAsync(wait.Token)) return;
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                    // A tick without entries: still check the batches' age below.
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            while (logger.Reader.TryRead(out var entry)) Collect(entry);
            FlushDue();
        }
    }

    private void Collect(PredictionLogEntry entry)
    {
        try
        {
            index.Add(entry);
            var rows = LogRows.From(entry);
            var key = (entry.Model.Name, entry.Model.Version, DateOnly.FromDateTime(entry.Timestamp));
            if (!_batches.TryGetValue(key, out var batch)) _batches[key] = batch = new Batch(DateTime.UtcNow);
            batch.Rows.AddRange(rows);
            batch.Bytes += entry.Bytes;
            if (batch.Rows.Count >= _options.FlushRows) Flush(key);
        }
        catch (Exception e)
        {
            // A row that cannot be turned into a log row must not stop the log; it is counted as not logged.
            log.LogWarning(e, "Prediction log: could not convert a request of {Model} v{Version}", entry.Model.Name, entry.Model.Version);
            logger.Release(entry.Rows, entry.Bytes);
            telemetry.Dropped(entry.Model.Name, entry.Rows, PredictionLogTelemetry.UploadFailed);
        }
        finally
        {
            logger.MarkProcessed();
        }
    }

    private void FlushDue()
    {
        var due = DateTime.UtcNow - TimeSpan.FromSeconds(_options.FlushSeconds);
        foreach (var (key, batch) in _batches.ToList())
            if (batch.Started <= due) Flush(key);
    }

    private void Flush((string Model, int Version, DateOnly Date) key)
    {
        if (!_batches.Remove(key, out var batch) || batch.Rows.Count == 0) return;
        _uploads.Writer.TryWrite(new Pending(key.Model, key.Version, key.Date, batch.Rows, batch.Bytes));
    }

    private async Task UploadLoopAsync(CancellationToken stoppingToken)
    {
        await foreach (var pending in _uploads.Reader.ReadAllAsync(CancellationToken.None))
        {
            try
            {
                await UploadAsync(pending, stoppingToken);
            }
            finally
            {
                logger.Release(pending.Rows.Count, pending.Bytes);
            }
        }
    }

    private async Task UploadAsync(Pending pending, CancellationToken stoppingToken)
    {
        byte[] parquet;
        using (var buffer = new MemoryStream())
        {
            await PredictionLogWriter.WritePredictionsAsync(pending.Rows, buffer, CancellationToken.None);
            parquet = buffer.ToArray();
        }
        var file = new LogFileUpload(pending.Model, PredictionLogKinds.Predictions, pending.Version, pending.Date, parquet, pending.Rows.Count);
        var delay = TimeSpan.FromSeconds(1);
        for (var attempt = 1; ; attempt++)
        {
            // Running: retries may wait out a registry outage. Stopping: one more try each, within the shutdown time.
            var ct = stoppingToken.IsCancellationRequested ? _shutdownDeadline : CancellationToken.None;
            try
            {
                await store.StoreAsync(file, ct);
                telemetry.Uploaded(file.Model, file.Kind, file.Rows);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                telemetry.UploadFailure(file.Model, file.Kind);
                var last = attempt >= _options.UploadAttempts || stoppingToken.IsCancellationRequested;
                log.LogWarning(e, "Prediction log: storing {Rows} rows of {Model} v{Version} failed (attempt {Attempt} of {Attempts}){GivingUp}",
                    file.Rows, file.Model, file.Version, attempt, _options.UploadAttempts, last ? "; rows dropped" : "");
                if (last) break;
            }
            catch (OperationCanceledException)
            {
                break;
            }
            try
            {
                await Task.Delay(delay, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                // Shutting down: the loop above makes the last attempt.
            }
            delay = TimeSpan.FromSeconds(Math.Min(60, delay.TotalSeconds * 2));
        }
        telemetry.Dropped(file.Model, file.Rows, PredictionLogTelemetry.UploadFailed);
    }

    private sealed class Batch(DateTime started)
    {
        public DateTime Started { get; } = started;
        public List<PredictionLogRow> Rows { get; } = [];
        public long Bytes { get; set; }
    }

    private sealed record Pending(string Model, int Version, DateOnly Date, List<PredictionLogRow> Rows, long Bytes);
}
