extern alias studio;
using Bunit;
using MlOps.Studio.Tests.Infrastructure;
using studio::MlOps.Studio.Serving;
using ServingPage = studio::MlOps.Studio.Components.Pages.Serving;

namespace MlOps.Studio.Tests.Components;

public sealed class PrometheusTextTests
{
    [Fact]
    public void Reads_the_drift_gauge_per_model_and_feature()
    {
        const string text = """
            # HELP mlops_serving_drift_psi PSI
            # TYPE mlops_serving_drift_psi gauge
            mlops_serving_drift_psi{model="credit-risk",feature="Income",otel_scope_name="MlOps.Serving"} 0.31 1732960000000
            mlops_serving_drift_psi{feature="Age",model="credit-risk"} 0.02
            mlops_serving_drift_psi{model="ames",feature="Lot \"Area\""} 1e-3
            mlops_serving_requests_total{model="ames"} 12
            """;
        var gauge = PrometheusText.ReadGauge(text, "mlops_serving_drift_psi", "model", "feature");
        Assert.Equal(0.31, gauge["credit-risk"]["Income"]);
        Assert.Equal(0.02, gauge["credit-risk"]["Age"]);
        Assert.Equal(0.001, gauge["ames"]["Lot \"Area\""]);
        Assert.Equal(2, gauge.Count);
    }

    [Fact]
    public void Reads_every_sample_with_its_labels_including_NaN()
    {
        const string text = """
            mlops_serving_live_quality{model="ames",version="3",metric="rmse",otel_scope_name="MlOps.Serving"} 21000.5
            mlops_serving_live_quality{model="ames",version="4",metric="rmse"} NaN
            mlops_serving_live_quality_rows{model="ames",version="3"} 120
            """;
        var samples = PrometheusText.Samples(text, "mlops_serving_live_quality");
        Assert.Equal(2, samples.Count);
        Assert.Equal(("3", "rmse", 21000.5), (samples[0].Labels["version"], samples[0].Labels["metric"], samples[0].Value));
        Assert.True(double.IsNaN(samples[1].Value));
    }
}

[Collection(SeededCollection.Name)]
public sealed class ServingPageTests(SeededRegistry seeded) : StudioComponentTest(seeded)
{
    [Fact]
    public void Without_a_serving_endpoint_the_page_says_how_to_configure_one()
    {
        var cut = Render<ServingPage>();
        cut.WaitForAssertion(() => Assert.Contains("Studio:ServingBaseAddress", cut.Markup));
    }
}
