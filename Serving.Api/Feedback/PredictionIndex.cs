using Microsoft.Extensions.Options;
using MlOps.Registry.Client.Serving;
using MlOps.Serving.Api.PredictionLog;

namespace MlOps.Serving.Api.Feedback;

/// <summary>A logged prediction as feedback needs it: which model version answered and what it said.</summary>
public sealed record IndexedPrediction(string Model, int Version, string Task, IReadOnlyList<string>? Classes, Prediction Prediction);

/// <summary>
/// This replica's most recently logged predictions by id (Serving:PredictionLog:IndexRows, oldest forgotten
/// first), filled by the log writer off the request path. Feedback for an id that is not here (another replica
/// answered, or it was forgotten or not sampled) is stored all the same and joined by the registry (docs/prediction-log.md).
/// </summary>
public sealed class PredictionIndex(IOptions<PredictionLogOptions> options)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<Guid, IndexedPrediction> _byId = [];
    private readonly Queue<Guid> _order = new();
    private readonly int _capacity = options.Value.IndexRows;

    public int Count
    {
        get { lock (_lock) return _byId.Count; }
    }

    public void Add(PredictionLogEntry entry)
    {
        if (_capacity == 0) return;
        var manifest = entry.Model.Model.Manifest;
        lock (_lock)
        {
            for (var i = 0; i < entry.Rows; i++)
            {
                if (!_byId.TryAdd(entry.Ids[i], new IndexedPrediction(entry.Model.Name, entry.Model.Version, manifest.Task, manifest.Classes, entry.Predictions[i])))
                    continue;
                _order.Enqueue(entry.Ids[i]);
                if (_order.Count > _capacity) _byId.Remove(_order.Dequeue());
            }
        }
    }

    public IndexedPrediction? Find(Guid id)
    {
        lock (_lock) return _byId.GetValueOrDefault(id);
    }
}
