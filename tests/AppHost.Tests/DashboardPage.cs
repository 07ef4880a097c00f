using Microsoft.Playwright;

namespace MlOps.AppHost.Tests;

/// <summary>
/// The Aspire dashboard in Debian's chromium (scripts/install-prerequisites.sh installs it), driven by Playwright's
/// driver from its NuGet package: nothing is downloaded. Screenshots go to <c>MLOPS_SCREENSHOTS</c> when set
/// (docs/dashboard/ holds the committed ones), else to a temporary folder.
/// </summary>
public sealed class DashboardPage : IAsyncDisposable
{
    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    private readonly string _screenshots;

    private DashboardPage(IPlaywright playwright, IBrowser browser, IPage page, Uri baseUrl, string screenshots) =>
        (_playwright, _browser, Page, BaseUrl, _screenshots) = (playwright, browser, page, baseUrl, screenshots);

    public IPage Page { get; }
    public Uri BaseUrl { get; }

    public static async Task<DashboardPage> OpenAsync(Uri baseUrl)
    {
        var executable = Environment.GetEnvironmentVariable("MLOPS_CHROMIUM") is { Length: > 0 } p ? p : "/usr/bin/chromium";
        if (!File.Exists(executable))
        {
            throw new FileNotFoundException("Chromium is missing: run scripts/install-prerequisites.sh (apt-get install chromium).", executable);
        }
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = executable,
            Headless = true,
            // No sandbox as root; no background traffic to hosts this offline machine cannot reach.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1600, Height = 900 } });
        var screenshots = Environment.GetEnvironmentVariable("MLOPS_SCREENSHOTS") is { Length: > 0 } dir
            ? Path.GetFullPath(dir)
            : Directory.CreateTempSubdirectory("mlops-dashboard-").FullName;
        Directory.CreateDirectory(screenshots);
        return new DashboardPage(playwright, browser, page, baseUrl, screenshots);
    }

    public async Task GotoAsync(string pathAndQuery)
    {
        await Page.GotoAsync(new Uri(BaseUrl, pathAndQuery).ToString(), new PageGotoOptions { WaitUntil = WaitUntilState.NetworkIdle });
    }

    public Task<string> MainTextAsync() => Page.InnerTextAsync("main");

    public Task ScreenshotAsync(string name) =>
        Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(_screenshots, name + ".png") });

    /// <summary>Polls <paramref name="check"/> until it returns null (all good) or time runs out; returns the last complaint.</summary>
    public static Task<string?> EventuallyAsync(Func<Task<string?>> check, TimeSpan within) => PollAsync(check, within, null);

    /// <summary>
    /// As <see cref="EventuallyAsync(Func{Task{string?}}, TimeSpan)"/>, reloading the page whenever the complaint has
    /// lasted <paramref name="reloadAfter"/>: the dashboard's Blazor circuit can die on its own (an
    /// ObjectDisposedException in its Virtualize grid, seen once in CI), leaving a page that never updates again.
    /// </summary>
    public Task<string?> EventuallyAsync(Func<Task<string?>> check, TimeSpan within, TimeSpan reloadAfter) =>
        PollAsync(check, within, (reloadAfter, () => Page.ReloadAsync(new PageReloadOptions { WaitUntil = WaitUntilState.NetworkIdle })));

    private static async Task<string?> PollAsync(Func<Task<string?>> check, TimeSpan within, (TimeSpan After, Func<Task> Run)? reload)
    {
        var deadline = DateTime.UtcNow + within;
        var reloadAt = DateTime.UtcNow + (reload?.After ?? within);
        string? complaint;
        while ((complaint = await check()) is not null && DateTime.UtcNow < deadline)
        {
            if (reload is { } r && DateTime.UtcNow >= reloadAt)
            {
                await r.Run();
                reloadAt = DateTime.UtcNow + r.After;
                continue;
            }
            await Task.Delay(500);
        }
        return complaint;
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
