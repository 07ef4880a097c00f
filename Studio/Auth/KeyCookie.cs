using Microsoft.AspNetCore.DataProtection;

namespace MlOps.Studio.Auth;

/// <summary>
/// The user's API key lives only in this cookie, encrypted and signed with ASP.NET Core data protection,
/// HttpOnly (no script reads it) and SameSite=Strict. It never travels in a URL and is never logged.
/// </summary>
public sealed class KeyCookie(IDataProtectionProvider provider)
{
    public const string Name = "mlops_studio_key";
    private readonly IDataProtector protector = provider.CreateProtector("MlOps.Studio.ApiKey.v1");

    /// <summary>Per-request override (the key being signed in with, before the cookie exists).</summary>
    public const string ItemKey = "MlOps.Studio.ApiKey";

    public string? Read(HttpContext context)
    {
        if (context.Items.TryGetValue(ItemKey, out var pending) && pending is string key)
        {
            return key;
        }
        if (!context.Request.Cookies.TryGetValue(Name, out var value) || string.IsNullOrEmpty(value))
        {
            return null;
        }
        try
        {
            return protector.Unprotect(value);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            // Keys rotated or a forged cookie: treat as signed out.
            return null;
        }
    }

    public void Write(HttpContext context, string key) =>
        context.Response.Cookies.Append(Name, protector.Protect(key), new CookieOptions
        {
            HttpOnly = true,
            Secure = context.Request.IsHttps,
            SameSite = SameSiteMode.Strict,
            IsEssential = true,
            MaxAge = TimeSpan.FromHours(12),
        });

    public static void Delete(HttpContext context) => context.Response.Cookies.Delete(Name);
}
