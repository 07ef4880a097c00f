extern alias studio;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MlOps.Studio.Tests.Infrastructure;
using studio::MlOps.Studio.Components.Pages;

namespace MlOps.Studio.Tests.Components;

[CollectionDefinition(Name)]
public sealed class SeededCollection : ICollectionFixture<SeededRegistry>
{
    public const string Name = "seeded registry";
}

/// <summary>The pages rendered by bUnit over a real registry (seeded through its API), as a reader.</summary>
[Collection(SeededCollection.Name)]
public sealed class PageTests(SeededRegistry seeded) : StudioComponentTest(seeded)
{
    private IReadOnlyList<MlOps.Registry.Client.Runs.Run> Runs => Seeded.Runs;

    [Fact]
    public void Runs_table_lists_the_experiment_with_metric_and_varying_param_columns()
    {
        var cut = Render<ExperimentRuns>(p => p.Add(c => c.Name, SeededRegistry.Experiment));
        cut.WaitForAssertion(() => Assert.Equal(3, cut.FindAll("[data-testid=runs] tbody tr[data-run]").Count));
        var headers = cut.FindAll("[data-testid=runs] th").Select(h => h.TextContent.Trim()).ToList();
        Assert.Contains("auc", headers);
        Assert.Contains("numberOfLeaves", headers);
        Assert.Contains("learningRate", headers);
        Assert.DoesNotContain("learning_curve.log_loss", headers);
        Assert.Contains("bunit-data v1", cut.Markup);
    }

    [Fact]
    public void Filter_and_sort_go_to_the_registry_search()
    {
        At("experiments/bunit-exp?q=" + Uri.EscapeDataString("metrics.auc > 0.75 and params.learningRate = '0.1'") + "&sort=metric:auc&desc=false");
        var cut = Render<ExperimentRuns>(p => p.Add(c => c.Name, SeededRegistry.Experiment));
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=runs] tbody tr[data-run]").Count));
        var names = cut.FindAll("[data-testid=runs] tbody tr[data-run] td:nth-child(2)").Select(td => td.TextContent.Trim()).ToList();
        Assert.Equal(["run-15", "run-31"], names);
    }

    [Fact]
    public void Paging_follows_the_registry_token()
    {
        At("experiments/bunit-exp?size=2");
        var cut = Render<ExperimentRuns>(p => p.Add(c => c.Name, SeededRegistry.Experiment));
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=runs] tbody tr[data-run]").Count));
        var next = cut.Find("[data-testid=next-page]").GetAttribute("href")!;
        Assert.True(next.Contains("page="), next);
        At(next);
        var second = Render<ExperimentRuns>(p => p.Add(c => c.Name, SeededRegistry.Experiment));
        second.WaitForAssertion(() => Assert.Single(second.FindAll("[data-testid=runs] tbody tr[data-run]")));
        Assert.Empty(second.FindAll("[data-testid=next-page]"));
    }

    [Fact]
    public void A_bad_filter_is_explained_and_nothing_is_listed()
    {
        At("experiments/bunit-exp?q=auc%20%3E%201");
        var cut = Render<ExperimentRuns>(p => p.Add(c => c.Name, SeededRegistry.Experiment));
        cut.WaitForAssertion(() => Assert.Contains("Cannot read", cut.Find("[role=alert]").TextContent));
        Assert.Empty(cut.FindAll("[data-testid=runs]"));
    }

    [Fact]
    public void Compare_highlights_differing_params_and_overlays_curves()
    {
        At($"compare?run={Runs[0].Id}&run={Runs[2].Id}");
        var cut = Render<Compare>();
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("polyline.series").Count));
        Assert.Equal("true", Row(cut, "numberOfLeaves").GetAttribute("data-differs"));
        Assert.Equal("true", Row(cut, "learningRate").GetAttribute("data-differs"));
        Assert.Equal("false", Row(cut, "dataset.name").GetAttribute("data-differs"));
        Assert.All(cut.FindAll("polyline.series"), l => Assert.Equal("5000", l.GetAttribute("data-points")));
        Assert.Contains("diff", cut.Find("[data-testid=compare-metrics] tbody tr").ClassName);
    }

    [Fact]
    public void Run_page_shows_curve_importance_gate_and_lineage()
    {
        var cut = Render<RunDetails>(p => p.Add(c => c.Id, Runs[0].Id));
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("polyline.series")));
        Assert.Equal(2, cut.FindAll("rect.bar").Count);
        Assert.Contains("promoted", cut.Find("[data-testid=gate]").TextContent);
        var lineage = cut.Find("[data-testid=lineage]").TextContent;
        Assert.Contains("dataset bunit-data v1", lineage);
        Assert.Contains("model bunit-model v1", lineage);
        Assert.Contains("production", lineage);
    }

    [Fact]
    public void Model_page_shows_versions_alias_badges_history_and_warns_a_reader()
    {
        var cut = Render<ModelDetails>(p => p.Add(c => c.Name, SeededRegistry.Model));
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=versions] tbody tr").Count));
        Assert.Contains("production", cut.Find("[data-testid=versions] tr[data-version='1'] td.badges").TextContent);
        Assert.DoesNotContain("production", cut.Find("[data-testid=versions] tr[data-version='2'] td.badges").TextContent);
        Assert.Contains("production → v1", cut.Find("[data-testid=aliases]").TextContent);
        Assert.Contains("first", cut.Find("[data-testid=alias-history]").TextContent);
        Assert.Contains("needs an admin key", cut.Find("[data-testid=promote]").TextContent);
        Assert.Equal($"download/models/{SeededRegistry.Model}/2", cut.Find("[data-testid=versions] tr[data-version='2'] a[download]").GetAttribute("href"));
    }

    [Fact]
    public void Dataset_page_shows_the_profile()
    {
        var cut = Render<DatasetDetails>(p => p.Add(c => c.Name, SeededRegistry.Dataset));
        cut.WaitForAssertion(() => Assert.Contains("Profile of v1", cut.Find("[data-testid=profile]").TextContent));
        var profile = cut.Find("[data-testid=profile]").TextContent;
        Assert.Contains("categorical", profile);
        Assert.Contains("red: 2", profile);
        Assert.Single(cut.FindAll("[data-testid=dataset-versions] tbody tr"));
        Assert.Equal(2, cut.FindAll("svg.strip").Count);
    }

    [Fact]
    public void Missing_things_are_a_message_not_an_error_page()
    {
        var cut = Render<ModelDetails>(p => p.Add(c => c.Name, "no-such-model"));
        cut.WaitForAssertion(() => Assert.Contains("No model named", cut.Find("[role=alert]").TextContent));
    }

    /// <summary>Navigates (the query feeds [SupplyParameterFromQuery]) and waits until the location is there: bUnit may apply it on its dispatcher.</summary>
    private void At(string relative)
    {
        var navigation = Services.GetRequiredService<NavigationManager>();
        var target = navigation.ToAbsoluteUri(relative).AbsoluteUri;
        navigation.NavigateTo(relative);
        Assert.True(SpinWait.SpinUntil(() => navigation.Uri == target, TimeSpan.FromSeconds(10)), $"at {navigation.Uri}, not {target}");
    }

    private static AngleSharp.Dom.IElement Row(IRenderedComponent<Compare> cut, string key) =>
        cut.FindAll("[data-testid=compare-params] tbody tr").Single(r => r.QuerySelector("td")!.TextContent == key);
}

/// <summary>Without a key, every page sends the visitor to sign in (and back afterwards).</summary>
[Collection(SeededCollection.Name)]
public sealed class SignedOutTests(SeededRegistry registry) : StudioComponentTest(registry, RegistryRole.Anonymous)
{
    [Fact]
    public void Pages_redirect_to_sign_in_with_the_return_path()
    {
        var navigation = Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo("models/bunit-model");
        Render<ModelDetails>(p => p.Add(c => c.Name, SeededRegistry.Model));
        Assert.Contains("login?returnUrl=%2Fmodels%2Fbunit-model", navigation.Uri);
    }
}

/// <summary>A registry that does not answer: pages say so (no error page, no sign-in loop).</summary>
[Collection(SeededCollection.Name)]
public sealed class RegistryDownTests(SeededRegistry registry)
    : StudioComponentTest(registry, RegistryRole.Reader, new MlOps.Registry.Client.RegistryClient(new HttpClient { BaseAddress = new Uri("http://127.0.0.1:9/") }))
{
    [Fact]
    public void Pages_say_the_registry_cannot_be_reached()
    {
        var cut = Render<Models>();
        cut.WaitForAssertion(() => Assert.Contains("cannot be reached", cut.Find("[role=alert]").TextContent));
        Assert.DoesNotContain("login", Services.GetRequiredService<NavigationManager>().Uri);
    }
}
