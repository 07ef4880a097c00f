using Microsoft.Playwright;

namespace MlOps.Studio.Tests.Infrastructure;

/// <summary>
/// Debian's chromium (scripts/install-prerequisites.sh installs it) driven by Playwright's driver, which the NuGet
/// package ships with its own node: nothing is downloaded (`playwright install` is never run).
/// </summary>
public static class Chromium
{
    public static string ExecutablePath =>
        Environment.GetEnvironmentVariable("MLOPS_CHROMIUM") is { Length: > 0 } p ? p : "/usr/bin/chromium";

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new FileNotFoundException("Chromium is missing: run scripts/install-prerequisites.sh (apt-get install chromium).", ExecutablePath);
        }
        var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        return (playwright, browser);
    }
}
