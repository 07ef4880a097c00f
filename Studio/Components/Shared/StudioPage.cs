using System.Net;
using Microsoft.AspNetCore.Components;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Auth;
using MlOps.Registry.Client.Problems;
using MlOps.Studio.Auth;

namespace MlOps.Studio.Components.Shared;

/// <summary>
/// Base of every page that reads the registry: sends a visitor without a valid key to the sign-in page, and turns
/// the registry's refusals (problem details) into a message on the page instead of an error page.
/// </summary>
public abstract class StudioPage : ComponentBase
{
    [Inject] protected StudioSession Session { get; set; } = null!;
    [Inject] protected RegistryClient Registry { get; set; } = null!;
    [Inject] protected NavigationManager Navigation { get; set; } = null!;

    protected KeyInfo? Key { get; private set; }
    protected string? Error { get; set; }
    protected bool Loaded { get; private set; }

    protected override async Task OnInitializedAsync()
    {
        Key = await Session.GetAsync();
        if (Key is null && Session.Unreachable is { } down)
        {
            Error = down;
            return;
        }
        if (Key is null)
        {
            Navigation.NavigateTo("login?returnUrl=" + Uri.EscapeDataString("/" + Navigation.ToBaseRelativePath(Navigation.Uri)));
            return;
        }
        await GuardAsync(LoadAsync);
        Loaded = true;
    }

    protected abstract Task LoadAsync();

    /// <summary>Runs a registry call; a refusal becomes <see cref="Error"/> (the registry's own detail).</summary>
    protected async Task<bool> GuardAsync(Func<Task> action)
    {
        try
        {
            await action();
            return true;
        }
        catch (RegistryApiException e)
        {
            Error = Describe(e);
            return false;
        }
        catch (HttpRequestException e)
        {
            Error = "The registry cannot be reached: " + e.Message;
            return false;
        }
    }

    public static string Describe(RegistryApiException e)
    {
        var detail = e.Problem?.Detail ?? e.Problem?.Title ?? e.Message;
        return e.StatusCode switch
        {
            HttpStatusCode.Forbidden => $"Refused by the registry (403): your key's role cannot do this. {detail}",
            HttpStatusCode.Unauthorized => $"Refused by the registry (401): the key is not accepted. {detail}",
            _ => $"{(int)e.StatusCode} {e.StatusCode}: {detail}",
        };
    }
}
