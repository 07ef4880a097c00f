namespace MlOps.Studio.Components.Charts;

/// <summary>
/// Largest-Triangle-Three-Buckets downsampling (Steinarsson, 2013): keeps the first and last points and, per
/// bucket, the point that spans the largest triangle with its neighbours, so peaks and the curve's shape survive
/// while a 5,000-point curve draws as a few hundred SVG vertices.
/// </summary>
public static class Lttb
{
    public static IReadOnlyList<ChartPoint> Downsample(IReadOnlyList<ChartPoint> data, int threshold)
    {
        if (threshold < 3 || data.Count <= threshold)
        {
            return data;
        }
        var sampled = new List<ChartPoint>(threshold) { data[0] };
        var every = (double)(data.Count - 2) / (threshold - 2);
        var a = 0;
        for (var i = 0; i < threshold - 2; i++)
        {
            // Average of the next bucket: the third corner of the triangle.
            var nextStart = (int)Math.Floor((i + 1) * every) + 1;
            var nextEnd = Math.Min((int)Math.Floor((i + 2) * every) + 1, data.Count);
            double avgX = 0, avgY = 0;
            for (var j = nextStart; j < nextEnd; j++)
            {
                avgX += data[j].X;
                avgY += data[j].Y;
            }
            var n = Math.Max(nextEnd - nextStart, 1);
            avgX /= n;
            avgY /= n;

            var start = (int)Math.Floor(i * every) + 1;
            var end = (int)Math.Floor((i + 1) * every) + 1;
            var best = start;
            var bestArea = -1.0;
            for (var j = start; j < end; j++)
            {
                var area = Math.Abs((data[a].X - avgX) * (data[j].Y - data[a].Y) - (data[a].X - data[j].X) * (avgY - data[a].Y));
                if (area > bestArea)
                {
                    bestArea = area;
                    best = j;
                }
            }
            sampled.Add(data[best]);
            a = best;
        }
        sampled.Add(data[^1]);
        return sampled;
    }
}
