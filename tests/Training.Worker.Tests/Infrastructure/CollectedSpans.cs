using System.Collections.Concurrent;
using System.Diagnostics;

namespace MlOps.Training.Worker.Tests.Infrastructure;

/// <summary>
/// An in-process ActivityListener: every span this process ends (worker, the in-process registry, HttpClient,
/// ASP.NET Core, Npgsql), whatever the OpenTelemetry filters decided, which <see cref="Activity.Recorded"/> tells.
/// </summary>
public sealed class CollectedSpans : IDisposable
{
    private readonly ActivityListener _listener;

    public CollectedSpans()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = Stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public ConcurrentQueue<Activity> Stopped { get; } = new();

    public IReadOnlyList<Activity> InTrace(ActivityTraceId trace) => Stopped.Where(a => a.TraceId == trace).ToList();

    /// <summary>True when <paramref name="ancestor"/> is above <paramref name="span"/> in its trace.</summary>
    public static bool Descends(Activity span, Activity ancestor, IReadOnlyList<Activity> trace)
    {
        var byId = trace.GroupBy(a => a.SpanId).ToDictionary(g => g.Key, g => g.First());
        for (var current = span; current.ParentSpanId != default && byId.TryGetValue(current.ParentSpanId, out var parent); current = parent)
        {
            if (parent.SpanId == ancestor.SpanId) return true;
        }
        return false;
    }

    public void Dispose() => _listener.Dispose();
}
