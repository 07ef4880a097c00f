using MlOps.ModelBundle.Drift;
using MlOps.ModelBundle.Features;
using MlOps.Serving.Api.Predict;

namespace MlOps.Serving.Api.Monitoring;

/// <summary>
/// Sliding window of the last <c>WindowRows</c> sampled rows, kept as bin counts per baseline feature, so PSI
/// against the training baseline costs nothing on the request path: one row in <c>SampleEvery</c> is binned,
/// under a lock that a busy caller skips rather than waits for.
/// </summary>
public sealed class DriftWindow
{
    private readonly Lock _lock = new();
    private readonly Feature[] _features;
    private readonly long[][] _counts;
    private readonly short[] _ring;
    private readonly int _windowRows;
    private readonly int _sampleEvery;
    private long _seen;
    private int _head;
    private int _filled;

    public DriftWindow(FeatureEncoder encoder, IReadOnlyList<FeatureBaseline> baseline, int windowRows, int sampleEvery)
    {
        _windowRows = Math.Max(1, windowRows);
        _sampleEvery = Math.Max(1, sampleEvery);
        var features = new List<Feature>();
        foreach (var b in baseline)
        {
            var column = encoder.IndexOf(b.Feature);
            if (column < 0 || b.BinCount == 0) continue;
            var c = encoder.Columns[column];
            // Encoder levels (every training value) -> baseline bins (top levels + "other" + missing).
            var levelBins = c.Kind == FeatureKind.Categorical ? (c.Levels ?? []).Select(b.BinOf).ToArray() : null;
            features.Add(new Feature(b, column, encoder.OffsetOf(column), levelBins));
        }
        _features = [.. features];
        _counts = _features.Select(f => new long[f.Baseline.BinCount]).ToArray();
        _ring = new short[_windowRows * _features.Length];
    }

    public IReadOnlyList<string> Features => _features.Select(f => f.Baseline.Feature).ToArray();

    public int Rows
    {
        get { lock (_lock) return _filled; }
    }

    /// <summary>Offers the parsed rows; samples one in SampleEvery.</summary>
    public void Observe(PredictScratch rows)
    {
        if (_features.Length == 0) return;
        for (var i = 0; i < rows.Count; i++)
        {
            if (Interlocked.Increment(ref _seen) % _sampleEvery != 0) continue;
            if (!_lock.TryEnter()) continue;
            try { Add(rows[i], rows.Levels(i)); }
            finally { _lock.Exit(); }
        }
    }

    private void Add(float[] vector, int[] levels)
    {
        var slot = _head * _features.Length;
        var evict = _filled == _windowRows;
        for (var f = 0; f < _features.Length; f++)
        {
            var feature = _features[f];
            if (evict) _counts[f][_ring[slot + f]]--;
            var bin = feature.BinOf(vector, levels);
            _ring[slot + f] = (short)bin;
            _counts[f][bin]++;
        }
        _head = (_head + 1) % _windowRows;
        if (!evict) _filled++;
    }

    /// <summary>PSI per feature over the window; empty until <paramref name="minRows"/> rows were sampled.</summary>
    public IReadOnlyList<(string Feature, double Psi)> Psi(int minRows)
    {
        lock (_lock)
        {
            if (_filled < Math.Max(1, minRows)) return [];
            var result = new (string, double)[_features.Length];
            for (var f = 0; f < _features.Length; f++)
                result[f] = (_features[f].Baseline.Feature, PopulationStability.Compute(_features[f].Baseline.Fractions, _counts[f]));
            return result;
        }
    }

    private sealed record Feature(FeatureBaseline Baseline, int Column, int Offset, int[]? LevelBins)
    {
        public int BinOf(float[] vector, int[] levels)
        {
            if (LevelBins is null) return Baseline.BinOf(float.IsNaN(vector[Offset]) ? null : vector[Offset]);
            var level = levels[Column];
            return level >= 0 ? LevelBins[level]
                : level == PredictScratch.MissingLevel ? Baseline.MissingBin
                : Baseline.MissingBin - 1;
        }
    }
}
