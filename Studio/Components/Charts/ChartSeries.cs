namespace MlOps.Studio.Components.Charts;

public readonly record struct ChartPoint(double X, double Y);

/// <summary>One line of a chart: its name (legend) and points in x order.</summary>
public sealed record ChartSeries(string Name, IReadOnlyList<ChartPoint> Points);
