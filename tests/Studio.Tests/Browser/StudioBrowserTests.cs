using System.Text.RegularExpressions;
using Microsoft.Playwright;
using MlOps.Registry.Client.Models;
using MlOps.Studio.Tests.Infrastructure;

namespace MlOps.Studio.Tests.Browser;

/// <summary>
/// Studio in a real browser (Debian's chromium) on a real port, over a real registry holding runs a real worker
/// trained: sign in, open the experiment, filter, compare two runs with their learning curves drawn, promote a
/// model version with an admin key and see the badge move, then be refused with a reader key.
/// With MLOPS_STUDIO_SCREENSHOTS=dir it also saves a screenshot of each page there (docs/studio/).
/// </summary>
public sealed class StudioBrowserTests(TrainedRegistry registry) : IClassFixture<TrainedRegistry>, IAsyncLifetime
{
    private StudioFactory studio = null!;
    private ServingHost serving = null!;
    private Uri studioUrl = null!;
    private IPlaywright playwright = null!;
    private IBrowser browser = null!;
    private readonly string? screenshots = Environment.GetEnvironmentVariable("MLOPS_STUDIO_SCREENSHOTS");

    public async Task InitializeAsync()
    {
        // Staging (served in shadow) on the version production does not hold, then real traffic for drift figures.
        var production = (await registry.Admin.GetAliasAsync(TrainedRegistry.Model, WellKnownAliases.Production))!.Version;
        await registry.Admin.SetAliasAsync(TrainedRegistry.Model, WellKnownAliases.Staging, 3 - production, "shadow candidate");
        serving = new ServingHost(registry.Address);
        var servingUrl = await serving.StartAndScoreAsync(Path.Combine(TestServices.RepoRoot(), "samples", "datasets", "credit_scoring.csv"), 200);
        studio = new StudioFactory(registry.Address, servingUrl);
        studioUrl = studio.StartOnKestrel();
        (playwright, browser) = await Chromium.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        await browser.DisposeAsync();
        playwright.Dispose();
        await studio.DisposeAsync();
        await serving.DisposeAsync();
    }

    [Fact]
    public async Task Browse_filter_compare_promote_and_be_refused()
    {
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = studioUrl.ToString(), ViewportSize = new() { Width = 1400, Height = 900 } });
        var page = await context.NewPageAsync();
        // Generous: CI runs every test assembly at once on 2 cores, and the first sign-in waited 15 s there once.
        page.SetDefaultTimeout(60_000);
        var assets = new List<string>();
        page.Response += (_, r) => { if (r.Status >= 400) assets.Add($"{r.Status} {r.Url}"); };
        // What a user sees in the browser's console too (a missing favicon shows there, not as a page response).
        var consoleErrors = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") consoleErrors.Add(m.Text); };
        // Every asset (Fluent UI's web components and styles, blazor.web.js) comes from Studio itself: it works offline.
        var foreign = new List<string>();
        page.Request += (_, r) => { if (!r.Url.StartsWith(studioUrl.ToString(), StringComparison.Ordinal) && !r.Url.StartsWith("data:", StringComparison.Ordinal)) foreign.Add(r.Url); };

        // No key yet: sent to sign in; the key goes in a form field, never the URL.
        await page.GotoAsync("/");
        Assert.Contains("/login", page.Url);
        await Snap(page, "login");
        await SignInAsync(page, RegistryApiFactory.AdminKey);
        await Expect(page.GetByTestId("key-role")).ToContainTextAsync("admin key");
        Assert.DoesNotContain(RegistryApiFactory.AdminKey, page.Url);
        var cookie = (await context.CookiesAsync()).Single(c => c.Name == "mlops_studio_key");
        Assert.True(cookie.HttpOnly);
        Assert.DoesNotContain(RegistryApiFactory.AdminKey, cookie.Value);
        await Snap(page, "experiments");

        // Open the experiment: both trained runs are in the table.
        await page.GetByRole(AriaRole.Link, new() { Name = TrainedRegistry.Experiment }).ClickAsync();
        var rows = page.Locator("[data-testid=runs] tbody tr[data-run]");
        await Expect(rows).ToHaveCountAsync(2);
        await Snap(page, "runs");

        // Filter with the search syntax on a param that differs between the two runs.
        var run1 = await registry.Admin.GetRunAsync(registry.Jobs[0].RunId!.Value);
        var leaves = run1.Params.Keys.Single(k => k.EndsWith("numberOfLeaves", StringComparison.OrdinalIgnoreCase));
        await page.Locator("input[name=q]").FillAsync($"params.{leaves} = '{run1.Params[leaves]}' and metrics.auc > 0");
        await page.Locator("[data-testid=run-filter] button[type=submit]").ClickAsync();
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows.First).ToHaveAttributeAsync("data-run", run1.Id.ToString());
        await page.GetByRole(AriaRole.Link, new() { Name = "clear" }).ClickAsync();
        await Expect(rows).ToHaveCountAsync(2);

        // Compare the two: params that differ are highlighted, both learning curves are drawn on one chart.
        foreach (var box in await page.Locator("[data-testid=runs] input[type=checkbox]").AllAsync())
        {
            await box.CheckAsync();
        }
        await page.GetByTestId("compare").ClickAsync();
        await page.WaitForURLAsync(new Regex("/compare"));
        await Expect(page.Locator($"[data-testid=compare-params] tr[data-differs=true]", new() { HasText = leaves })).ToHaveCountAsync(1);
        var curves = page.Locator("figure[data-chart=line] polyline.series");
        await Expect(curves).ToHaveCountAsync(2);
        foreach (var curve in await curves.AllAsync())
        {
            var points = (await curve.GetAttributeAsync("points"))!.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(points.Length >= 20, $"a learning curve of {points.Length} points");
        }
        Assert.True((await curves.First.BoundingBoxAsync())!.Width > 300, "the curve is drawn wide");
        await Snap(page, "compare");

        // The run page: its curve, importance, gate and lineage.
        await page.GotoAsync($"runs/{run1.Id}");
        await Expect(page.Locator("figure[data-chart=line] polyline.series")).ToHaveCountAsync(1);
        await Expect(page.Locator("figure[data-chart=bar] rect.bar").First).ToBeVisibleAsync();
        await Expect(page.GetByTestId("lineage")).ToContainTextAsync(TrainedRegistry.Model);
        await Snap(page, "run");

        // The serving page: the version each served model answers with, its shadow, drift PSI per feature.
        var production = (await registry.Admin.GetAliasAsync(TrainedRegistry.Model, WellKnownAliases.Production))!.Version;
        await page.GetByRole(AriaRole.Link, new() { Name = "Serving", Exact = true }).ClickAsync();
        var served = page.GetByTestId($"served-{TrainedRegistry.Model}");
        await Expect(served).ToContainTextAsync($"production → v{production}");
        await Expect(served).ToContainTextAsync($"shadow");
        await Expect(served).ToContainTextAsync($"staging → v{3 - production}");
        await Expect(page.GetByTestId($"scorer-{TrainedRegistry.Model}")).ToContainTextAsync("plain trees (ML.NET not loaded)");
        Assert.True(await served.Locator("rect.bar").CountAsync() >= 5, "PSI bars per feature");
        await Snap(page, "serving");

        // Open the model and promote the version production does not hold.
        await page.GetByRole(AriaRole.Link, new() { Name = "Models", Exact = true }).ClickAsync();
        await Snap(page, "models");
        await page.GetByRole(AriaRole.Link, new() { Name = TrainedRegistry.Model, Exact = true }).ClickAsync();
        var before = (await registry.Admin.GetAliasAsync(TrainedRegistry.Model, WellKnownAliases.Production))!.Version;
        var target = before == 1 ? 2 : 1;
        await Expect(Badges(page, before)).ToContainTextAsync("production");
        await page.GetByTestId("promote-version").SelectOptionAsync(target.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.Locator("input[name=reason]").FillAsync("browser test");
        await page.GetByTestId("review-promote").ClickAsync();
        await Expect(page.GetByTestId("confirm")).ToContainTextAsync($"from v{before} to v{target}");
        await Snap(page, "promote-confirm");
        await page.GetByTestId("confirm-promote").ClickAsync();
        await Expect(page.GetByTestId("promote-done")).ToContainTextAsync($"production now points to v{target}");
        await Expect(Badges(page, target)).ToContainTextAsync("production");
        await Expect(Badges(page, before)).Not.ToContainTextAsync("production");
        await Expect(page.GetByTestId("alias-history")).ToContainTextAsync("browser test");
        Assert.Equal(target, (await registry.Admin.GetAliasAsync(TrainedRegistry.Model, WellKnownAliases.Production))!.Version);
        await Snap(page, "model");

        // Datasets and jobs pages render from the same registry.
        await page.GotoAsync("datasets/credit_scoring");
        await Expect(page.GetByTestId("profile")).ToContainTextAsync("Status");
        await Snap(page, "dataset");
        await page.GotoAsync("jobs");
        await Expect(page.Locator("[data-testid=jobs] tbody tr")).ToHaveCountAsync(2);
        await Snap(page, "jobs");
        await page.GotoAsync($"jobs/{registry.Jobs[0].Id}");
        await Snap(page, "job");
        // The spec editor: the registry validates the spec and its problem detail is shown as is.
        await page.GotoAsync("jobs/new");
        await page.Locator("#spec").FillAsync("""{"experiment":"x","dataset":{"name":"credit_scoring"},"task":"clustering","label":"Status"}""");
        await page.Locator("[data-testid=submit-job] button[type=submit]").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("400");
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("spec.task must be one of");
        await Snap(page, "submit-job");

        // A reader key browses but cannot promote: the registry refuses and the alias stays where it is.
        await page.Locator("form[action='session/signout'] button").ClickAsync();
        await SignInAsync(page, RegistryApiFactory.ReaderKey);
        await Expect(page.GetByTestId("key-role")).ToContainTextAsync("reader key");
        await page.GotoAsync($"models/{TrainedRegistry.Model}");
        await Expect(page.GetByTestId("promote")).ToContainTextAsync("needs an admin key");
        // Serving is reachable: its live quality section lists the served versions with their training figures.
        await Expect(page.GetByTestId("live-quality")).ToContainTextAsync("auc training");
        await page.GetByTestId("promote-version").SelectOptionAsync(before.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.GetByTestId("review-promote").ClickAsync();
        await page.GetByTestId("confirm-promote").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Refused by the registry (403)");
        await Expect(Badges(page, target)).ToContainTextAsync("production");
        Assert.Equal(target, (await registry.Admin.GetAliasAsync(TrainedRegistry.Model, WellKnownAliases.Production))!.Version);
        await Snap(page, "model-refused");

        Assert.Empty(assets);
        Assert.Empty(foreign);
        Assert.Empty(consoleErrors);
        // Waited for, not read once: the components are defined by a module script that may still be loading when a
        // busy machine gets here right after a navigation (one CI run with every suite at once read it too early).
        await page.WaitForFunctionAsync("() => customElements.get('fluent-badge') !== undefined");
    }

    private static ILocator Badges(IPage page, int version) =>
        page.Locator($"[data-testid=versions] tr[data-version='{version}'] td.badges");

    private static async Task SignInAsync(IPage page, string key)
    {
        await page.Locator("#key").FillAsync(key);
        await page.Locator("form[action=session] button[type=submit]").ClickAsync();
        await page.WaitForURLAsync(u => !u.Contains("/login"));
    }

    private async Task Snap(IPage page, string name)
    {
        if (string.IsNullOrEmpty(screenshots)) return;
        Directory.CreateDirectory(screenshots);
        // Fluent UI's web components upgrade after the first paint: wait for them so the badges look like badges.
        await page.EvaluateAsync("() => Promise.race([customElements.whenDefined('fluent-badge'), new Promise(r => setTimeout(r, 3000))])");
        await page.WaitForTimeoutAsync(150);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(screenshots, name + ".png"), FullPage = true });
    }

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);
}
