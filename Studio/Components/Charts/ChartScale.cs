using System.Globalization;

namespace MlOps.Studio.Components.Charts;

/// <summary>Linear mapping of data to SVG coordinates, with "nice" tick values (1, 2, 5 x 10^n).</summary>
public sealed class ChartScale(double min, double max, double from, double to)
{
    public double Min { get; } = min;
    public double Max { get; } = max == min ? min + 1 : max;

    public double Map(double value) => from + (value - Min) / (Max - Min) * (to - from);

    public IEnumerable<double> Ticks(int approximately)
    {
        var step = NiceStep((Max - Min) / Math.Max(approximately, 1));
        for (var t = Math.Ceiling(Min / step) * step; t <= Max + step * 1e-9; t += step)
        {
            yield return Math.Abs(t) < step * 1e-9 ? 0 : t;
        }
    }

    public static ChartScale Fit(IEnumerable<double> values, double from, double to)
    {
        double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
        foreach (var v in values)
        {
            if (double.IsFinite(v))
            {
                lo = Math.Min(lo, v);
                hi = Math.Max(hi, v);
            }
        }
        return double.IsFinite(lo) ? new ChartScale(lo, hi, from, to) : new ChartScale(0, 1, from, to);
    }

    public static string Format(double v) =>
        Math.Abs(v) >= 10000 || (Math.Abs(v) < 0.001 && v != 0)
            ? v.ToString("0.##E+0", CultureInfo.InvariantCulture)
            : v.ToString("0.####", CultureInfo.InvariantCulture);

    public static string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    private static double NiceStep(double raw)
    {
        if (raw <= 0 || !double.IsFinite(raw))
        {
            return 1;
        }
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var r = raw / magnitude;
        return (r <= 1 ? 1 : r <= 2 ? 2 : r <= 5 ? 5 : 10) * magnitude;
    }
}
