using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using MlOps.Registry.Client.Serving;
using MlOps.Serving.Api.Hosting;
using MlOps.Serving.Api.PredictionLog;

namespace MlOps.Serving.Api.Feedback;

/// <summary>A logged prediction as feedback needs it: which model version answered and what it said.</summary>
public sealed record IndexedPrediction(string Model, int Version, string Task, IReadOnlyList<string>? Classes, Prediction Prediction);

/// <summary>
/// This replica's most recently logged predictions by id (Serving:PredictionLog:IndexRows, oldest forgotten
/// first), filled by the log writer off the request path. Feedback for an id that is not here (another replica
/// answered, or it was forgotten or not sampled) is stored all the same and joined by the registry (docs/prediction-log.md).
/// Held as a ring of structs plus an id -> slot map, both allocated once: indexing a row allocates nothing.
/// </summary>
public sealed class PredictionIndex(IOptions<PredictionLogOptions> options)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<Guid, int> _slotById = [];
    private readonly ConditionalWeakTable<LoadedModel, IndexedModel> _models = [];
    private readonly int _capacity = options.Value.IndexRows;
    private Slot[] _ring = [];
    private int _next;

    public int Count
    {
        get { lock (_lock) return _slotById.Count; }
    }

    public void Add(PredictionLogEntry entry)
    {
        if (_capacity == 0) return;
        var model = _models.GetValue(entry.Model, static m => new IndexedModel(m.Name, m.Version, m.Model.Manifest.Task, m.Model.Manifest.Classes));
        lock (_lock)
        {
            if (_ring.Length == 0) _ring = new Slot[_capacity];
            for (var i = 0; i < entry.Rows; i++)
            {
                if (!_slotById.TryAdd(entry.Ids[i], _next)) continue;
                ref var slot = ref _ring[_next];
                if (slot.Model is not null) _slotById.Remove(slot.Id);
                slot = new Slot(entry.Ids[i], model, entry.Predictions[i]);
                _next = (_next + 1) % _capacity;
            }
        }
    }

    public IndexedPrediction? Find(Guid id)
    {
        lock (_lock)
        {
            if (!_slotById.TryGetValue(id, out var at)) return null;
            var slot = _ring[at];
            return new IndexedPrediction(slot.Model.Name, slot.Model.Version, slot.Model.Task, slot.Model.Classes, slot.Prediction);
        }
    }

    private sealed record IndexedModel(string Name, int Version, string Task, IReadOnlyList<string>? Classes);

    private readonly record struct Slot(Guid Id, IndexedModel Model, Prediction Prediction);
}
