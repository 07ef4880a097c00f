using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Options;
using MlOps.Registry.Client.Jobs;
using MlOps.Serving.Api.Feedback;

namespace MlOps.Serving.Api.Monitoring;

/// <summary>Live quality of one model version over its window (what the gauges and <c>/quality</c> report).</summary>
public sealed record LiveQualitySnapshot(string Model, int Version, string Task, int Rows, IReadOnlyDictionary<string, double> Metrics);

/// <summary>
/// Per model version, the last Serving:Feedback:QualityWindow labelled predictions (a ring; a second truth for
/// the same prediction id replaces the first, as in the registry's join). Metrics are computed when read
/// (a scrape or <c>/quality</c>), never on the request path.
/// </summary>
public sealed class LiveQuality(IOptions<FeedbackOptions> options)
{
    private readonly ConcurrentDictionary<(string Model, int Version), Window> _windows = new();
    private readonly int _size = options.Value.QualityWindow;

    public void Add(Guid id, IndexedPrediction prediction, string truth) =>
        _windows.GetOrAdd((prediction.Model, prediction.Version), _ => new Window(_size, prediction.Task, prediction.Classes))
            .Add(id, prediction, truth);

    public IReadOnlyList<LiveQualitySnapshot> Snapshot(string? model = null) =>
        _windows.Where(w => model is null || w.Key.Model == model)
            .OrderBy(w => w.Key.Model, StringComparer.Ordinal).ThenBy(w => w.Key.Version)
            .Select(w => w.Value.Snapshot(w.Key.Model, w.Key.Version))
            .Where(s => s.Rows > 0)
            .ToList();

    private sealed class Window(int size, string task, IReadOnlyList<string>? classes)
    {
        private readonly Lock _lock = new();
        private readonly (Guid Id, IndexedPrediction Prediction, string Truth)[] _ring = new (Guid, IndexedPrediction, string)[size];
        private readonly Dictionary<Guid, int> _slots = [];
        private int _next;

        public void Add(Guid id, IndexedPrediction prediction, string truth)
        {
            lock (_lock)
            {
                if (_slots.TryGetValue(id, out var slot))
                {
                    _ring[slot] = (id, prediction, truth);
                    return;
                }
                if (_slots.Count == _ring.Length) _slots.Remove(_ring[_next].Id);
                _ring[_next] = (id, prediction, truth);
                _slots[id] = _next;
                _next = (_next + 1) % _ring.Length;
            }
        }

        public LiveQualitySnapshot Snapshot(string model, int version)
        {
            (Guid Id, IndexedPrediction Prediction, string Truth)[] rows;
            lock (_lock) rows = _slots.Values.Select(s => _ring[s]).ToArray();
            return new LiveQualitySnapshot(model, version, task, rows.Length, Compute(rows.Select(r => (r.Prediction, r.Truth)).ToList()));
        }

        private Dictionary<string, double> Compute(List<(IndexedPrediction Prediction, string Truth)> rows)
        {
            if (task == TrainingTasks.Regression)
            {
                return QualityMetrics.Regression(rows
                    .Select(r => (r.Prediction.Prediction.Value ?? double.NaN, double.Parse(r.Truth, CultureInfo.InvariantCulture)))
                    .ToList());
            }
            var binary = task == TrainingTasks.Binary && classes is { Count: 2 };
            var positive = binary ? classes![1] : null;
            return QualityMetrics.Classification(rows.Select(r =>
            {
                var p = r.Prediction.Prediction;
                return new ClassifiedRow(
                    string.Equals(p.Label, r.Truth, StringComparison.Ordinal),
                    p.ProbabilityOf(r.Truth) ?? 0,
                    positive is null ? 0 : p.ProbabilityOf(positive) ?? 0,
                    r.Truth == positive);
            }).ToList(), binary);
        }
    }
}
