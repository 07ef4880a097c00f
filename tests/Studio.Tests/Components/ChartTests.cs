extern alias studio;
using Bunit;
using studio::MlOps.Studio.Components.Charts;

namespace MlOps.Studio.Tests.Components;

public sealed class ChartTests : BunitContext
{
    [Fact]
    public void A_5000_point_curve_is_drawn_with_at_most_400_vertices_keeping_ends_and_spike()
    {
        var points = Enumerable.Range(1, 5000).Select(i => new ChartPoint(i, i == 2500 ? 10 : 1.0 / i)).ToList();
        var cut = Render<LineChart>(p => p.Add(c => c.Series, [new ChartSeries("valid", points)]).Add(c => c.Title, "curve"));

        var line = cut.Find("polyline.series");
        Assert.Equal("5000", line.GetAttribute("data-points"));
        var vertices = line.GetAttribute("points")!.Split(' ').Select(v => v.Split(',').Select(double.Parse).ToArray()).ToList();
        Assert.InRange(vertices.Count, 300, 400);
        Assert.Equal(vertices.Min(v => v[0]), vertices[0][0]);
        Assert.Equal(vertices.Max(v => v[0]), vertices[^1][0]);
        // The spike at iteration 2500 (the highest value) survives downsampling: it is the topmost vertex (smallest y).
        Assert.Contains(vertices, v => Math.Abs(v[1] - vertices.Min(w => w[1])) < 1e-9 && v[0] > 300 && v[0] < 450);
        Assert.Contains("5000 points", cut.Find("ul.legend").TextContent);
    }

    [Fact]
    public void Overlaid_series_get_one_polyline_and_legend_entry_each()
    {
        var a = Enumerable.Range(0, 50).Select(i => new ChartPoint(i, i)).ToList();
        var b = Enumerable.Range(0, 30).Select(i => new ChartPoint(i, 2 * i)).ToList();
        var cut = Render<LineChart>(p => p.Add(c => c.Series, [new ChartSeries("a", a), new ChartSeries("b", b)]));

        Assert.Equal(2, cut.FindAll("polyline.series").Count);
        Assert.Equal(["a", "b"], cut.FindAll("polyline.series").Select(e => e.GetAttribute("data-series")));
        Assert.NotEqual(cut.FindAll("polyline.series")[0].GetAttribute("stroke"), cut.FindAll("polyline.series")[1].GetAttribute("stroke"));
        Assert.Equal(2, cut.FindAll("ul.legend li").Count);
    }

    [Fact]
    public void An_empty_chart_says_so()
    {
        var cut = Render<LineChart>(p => p.Add(c => c.Series, []));
        Assert.Empty(cut.FindAll("svg"));
        Assert.Contains("No points", cut.Markup);
    }

    [Fact]
    public void Bars_are_proportional_to_values()
    {
        var cut = Render<BarChart>(p => p.Add(c => c.Values, [KeyValuePair.Create("x", 0.75), KeyValuePair.Create("color", 0.25)]));
        var widths = cut.FindAll("rect.bar").Select(r => double.Parse(r.GetAttribute("width")!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(2, widths.Count);
        Assert.Equal(3.0, widths[0] / widths[1], 3);
    }

    [Fact]
    public void Lttb_returns_short_series_unchanged()
    {
        var data = Enumerable.Range(0, 10).Select(i => new ChartPoint(i, i)).ToList();
        Assert.Same(data, Lttb.Downsample(data, 400));
    }
}
