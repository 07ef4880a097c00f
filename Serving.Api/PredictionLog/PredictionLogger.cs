using System.Buffers;
using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using MlOps.Registry.Client.Serving;
using MlOps.Serving.Api.Hosting;

namespace MlOps.Serving.Api.PredictionLog;

/// <summary>
/// The request path's side of the prediction log: a sampling decision and a non-blocking hand-over to
/// <see cref="PredictionLogService"/>. The buffer is bounded by rows and bytes (Serving:PredictionLog); what does
/// not fit is dropped and counted, never waited for. Counters are released when the rows' file is uploaded or
/// given up, so a registry outage fills the buffer and drops rather than growing memory.
/// </summary>
public sealed class PredictionLogger
{
    private readonly Channel<PredictionLogEntry> _channel =
        Channel.CreateUnbounded<PredictionLogEntry>(new UnboundedChannelOptions { SingleReader = true });
    private readonly PredictionLogOptions _options;
    private readonly PredictionLogTelemetry _telemetry;
    private long _bufferedRows;
    private long _bufferedBytes;
    private long _enqueued;
    private long _processed;

    public PredictionLogger(IOptions<PredictionLogOptions> options, PredictionLogTelemetry telemetry)
    {
        _options = options.Value;
        _telemetry = telemetry;
        telemetry.Observe(() => Volatile.Read(ref _bufferedRows));
    }

    public bool Enabled => _options.Enabled;

    public ChannelReader<PredictionLogEntry> Reader => _channel.Reader;

    public long BufferedRows => Volatile.Read(ref _bufferedRows);

    /// <summary>Whether this request's rows are logged (per request, so a batch is logged whole or not at all).</summary>
    public bool Sample()
    {
        var percent = _options.SamplePercent;
        return percent >= 100 || (percent > 0 && Random.Shared.NextDouble() * 100 < percent);
    }

    /// <summary>
    /// REST: keeps a copy of the body and where its rows lie in it (<paramref name="rowSpans"/>, from the parser); the
    /// rows' JSON is copied out off the request thread.
    /// </summary>
    public void Log(ServedModel served, LoadedModel model, long started, Guid[] ids, ReadOnlySpan<Prediction> predictions,
        in ReadOnlySequence<byte> body, ReadOnlySpan<long> rowSpans)
    {
        if (!Sample()) return;
        if (!TryReserve(model, ids.Length, body.Length)) return;
        Enqueue(new PredictionLogEntry(model, Arms.Of(served, model), DateTime.UtcNow, Stopwatch.GetElapsedTime(started).TotalMilliseconds,
            ids, predictions.ToArray(), body.ToArray(), rowSpans.ToArray(), null));
    }

    /// <summary>V2: keeps the parsed request (immutable records), turned into rows off the request thread.</summary>
    public void Log(ServedModel served, LoadedModel model, long started, Guid[] ids, ReadOnlySpan<Prediction> predictions, V2InferRequest request)
    {
        if (!Sample()) return;
        var entry = new PredictionLogEntry(model, Arms.Of(served, model), DateTime.UtcNow, Stopwatch.GetElapsedTime(started).TotalMilliseconds,
            ids, predictions.ToArray(), null, null, request);
        if (TryReserve(model, entry.Rows, entry.Bytes)) Enqueue(entry);
    }

    /// <summary>Called by the writer once rows are uploaded or given up: frees their room in the buffer.</summary>
    public void Release(long rows, long bytes)
    {
        Interlocked.Add(ref _bufferedRows, -rows);
        Interlocked.Add(ref _bufferedBytes, -bytes);
    }

    /// <summary>Called by the writer after it has indexed an entry (feedback waits on this, see <see cref="CatchUpAsync"/>).</summary>
    public void MarkProcessed() => Interlocked.Increment(ref _processed);

    /// <summary>
    /// Waits (up to <paramref name="timeout"/>) until every entry handed over before this call is indexed, so
    /// feedback sent right after its predictions finds them.
    /// </summary>
    public async Task CatchUpAsync(TimeSpan timeout, CancellationToken ct)
    {
        var target = Interlocked.Read(ref _enqueued);
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Interlocked.Read(ref _processed) < target && Stopwatch.GetTimestamp() < deadline)
            await Task.Delay(5, ct);
    }

    /// <summary>No more entries (shutdown): the writer drains what is left.</summary>
    public void Complete() => _channel.Writer.TryComplete();

    private bool TryReserve(LoadedModel model, int rows, long bytes)
    {
        var newRows = Interlocked.Add(ref _bufferedRows, rows);
        var newBytes = Interlocked.Add(ref _bufferedBytes, bytes);
        if (newRows <= _options.BufferRows && newBytes <= _options.BufferBytes)
        {
            _telemetry.Sampled(model.ModelTags, rows);
            return true;
        }
        Release(rows, bytes);
        _telemetry.Dropped(model.Name, rows, PredictionLogTelemetry.BufferFull);
        return false;
    }

    private void Enqueue(PredictionLogEntry entry)
    {
        Interlocked.Increment(ref _enqueued);
        if (_channel.Writer.TryWrite(entry)) return;
        // Completed (shutting down): the rows cannot be written any more.
        Interlocked.Increment(ref _processed);
        Release(entry.Rows, entry.Bytes);
        _telemetry.Dropped(entry.Model.Name, entry.Rows, PredictionLogTelemetry.ShuttingDown);
    }
}
