using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using MlOps.PredictionLog;
using MlOps.Serving.Api.Feedback;

namespace MlOps.Serving.Api.PredictionLog;

/// <summary>
/// The prediction log's writer, off the request path: takes sampled requests from <see cref="PredictionLogger"/>,
/// indexes their predictions for feedback, turns them into rows, batches rows per (model, version, date) and
/// writes each batch as one Parquet file once it reaches FlushRows or FlushSeconds, then stores it through the
/// registry. Batches are columnar UTF-8 (<see cref="PredictionLogBatch"/>) and reused, so rows waiting for their
/// file are a few pooled arrays, not objects the garbage collector has to promote. A failed store is retried with backoff (1 s doubling to 60 s, UploadAttempts in all) on its own loop,
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
    // One batch fills while the previous one is written and stored; a third only while the registry is slow.
    private const int KeptBatches = 1;
    private readonly Dictionary<(string Model, int Version, DateOnly Date), Batch> _batches = [];
    private readonly ConcurrentBag<PredictionLogBatch> _spare = [];
    private readonly LogRows _rows = new();
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
        // Off (SamplePercent 0, the default): nothing is ever handed over, so nothing polls for it either. The 10 ms
        // collector woke a thread-pool thread 100 times a second, and under load each wake-up set idle workers spinning.
        if (!_options.Enabled) return;
        var uploading = Task.Run(() => UploadLoopAsync(stoppingToken), CancellationToken.None);
        _ = Task.Run(() => WarmUpWriterAsync(stoppingToken), CancellationToken.None);
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

    /// <summary>
    /// How often the collector takes what the request path handed over. Polling instead of waking per entry: at tens of
    /// thousands of requests/s a wake-up per request (a thread-pool hop each) cost more than the logging itself.
    /// </summary>
    private static readonly TimeSpan CollectInterval = TimeSpan.FromMilliseconds(10);

    private async Task CollectLoopAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(CollectInterval);
        var lastFlushCheck = DateTime.UtcNow;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                while (logger.Reader.TryRead(out var entry)) Collect(entry);
                if (logger.Reader.Completion.IsCompleted) return;
                if (DateTime.UtcNow - lastFlushCheck < TimeSpan.FromSeconds(Math.Min(1, _options.FlushSeconds))) continue;
                lastFlushCheck = DateTime.UtcNow;
                FlushDue();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: ExecuteAsync drains what is left.
        }
    }

    private void Collect(PredictionLogEntry entry)
    {
        try
        {
            index.Add(entry);
            var key = (entry.Model.Name, entry.Model.Version, DateOnly.FromDateTime(entry.Timestamp));
            if (!_batches.TryGetValue(key, out var batch))
                _batches[key] = batch = new Batch(DateTime.UtcNow, _spare.TryTake(out var spare) ? spare : new PredictionLogBatch());
            var before = batch.Rows.Count;
            try
            {
                _rows.AppendTo(batch.Rows, entry);
            }
            catch
            {
                // Only this request's rows are lost (counted below); the batch keeps the rows it had.
                batch.Rows.Truncate(before);
                throw;
            }
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
        if (!_batches.Remove(key, out var batch)) return;
        if (batch.Rows.Count == 0) Recycle(batch.Rows);
        else _uploads.Writer.TryWrite(new Pending(key.Model, key.Version, key.Date, batch.Rows, batch.Bytes));
    }

    private void Recycle(PredictionLogBatch batch)
    {
        batch.Clear();
        if (_spare.Count < KeptBatches) _spare.Add(batch);
    }

    /// <summary>
    /// Runs the Parquet writer on a few synthetic rows, many times, right after start. Its code runs once per file, so
    /// without this it would take the first ~60 files under load to be compiled to optimized code by the tiered JIT,
    /// and in a 2-core pod that JIT work and the unoptimized writer cost requests/s during the first minute.
    /// </summary>
    private async Task WarmUpWriterAsync(CancellationToken stoppingToken)
    {
        try
        {
            var batch = new PredictionLogBatch();
            for (var i = 0; i < 4; i++)
            {
                batch.Inputs.Add("{\"x\":1.5,\"c\":\"a\"}"u8);
                batch.Predictions.Add("{\"value\":1.0}"u8);
                batch.Add(Guid.CreateVersion7(), "warm-up", 1, "warm-up", i % 2 == 0 ? null : Arms.Canary, DateTime.UtcNow, 0.1,
                    i % 2 == 0 ? 1.0 : null, i % 2 == 0 ? null : "a");
            }
            for (var i = 0; i < WarmUpRounds && !stoppingToken.IsCancellationRequested; i++)
            {
                await PredictionLogWriter.WritePredictionsAsync(batch, Stream.Null, stoppingToken);
                await Task.Delay(WarmUpPause, stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping before the warm-up ended: nothing to undo.
        }
        catch (Exception e)
        {
            log.LogWarning(e, "Prediction log: the writer's warm-up failed (logging goes on; the first files are written by unoptimized code)");
        }
    }

    // Tiered compilation promotes a method after 30 calls, twice (instrumented, then optimized), once 100 ms pass without
    // new first-call compilations: 100 rounds 20 ms apart cover that after the start's own compilations.
    private const int WarmUpRounds = 100;
    private static readonly TimeSpan WarmUpPause = TimeSpan.FromMilliseconds(20);

    private async Task UploadLoopAsync(CancellationToken stoppingToken)
    {
        // One output buffer for every file: Parquet bytes are written, stored and then overwritten by the next file.
        using var output = new MemoryStream();
        await foreach (var pending in _uploads.Reader.ReadAllAsync(CancellationToken.None))
        {
            try
            {
                await UploadAsync(pending, output, stoppingToken);
            }
            finally
            {
                logger.Release(pending.Rows.Count, pending.Bytes);
                Recycle(pending.Rows);
            }
        }
    }

    private async Task UploadAsync(Pending pending, MemoryStream output, CancellationToken stoppingToken)
    {
        output.SetLength(0);
        await PredictionLogWriter.WritePredictionsAsync(pending.Rows, output, CancellationToken.None);
        var parquet = output.GetBuffer().AsMemory(0, (int)output.Length);
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

    private sealed class Batch(DateTime started, PredictionLogBatch rows)
    {
        public DateTime Started { get; } = started;
        public PredictionLogBatch Rows { get; } = rows;
        public long Bytes { get; set; }
    }

    private sealed record Pending(string Model, int Version, DateOnly Date, PredictionLogBatch Rows, long Bytes);
}
