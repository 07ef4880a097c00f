using System.Globalization;
using Microsoft.EntityFrameworkCore;
using MlOps.Registry.Api.Data;

namespace MlOps.Registry.Api.Infrastructure;

/// <summary>The <c>{version}</c> route segment of datasets and models: a positive integer or <c>latest</c>.</summary>
public static class VersionParam
{
    /// <summary>True with <paramref name="number"/> null for "latest"; false for anything else but a positive integer.</summary>
    public static bool TryParse(string version, out int? number)
    {
        number = null;
        if (version == "latest")
        {
            return true;
        }
        if (int.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1)
        {
            number = n;
            return true;
        }
        return false;
    }

    public static ProblemHttpResult Invalid() => Problems.BadRequest("version must be a positive integer or 'latest'.");

    /// <summary>
    /// Finds a version by number or "latest" among <paramref name="versionsOfName"/> (the versions of the named
    /// dataset or model); the error is a ready 400/404.
    /// </summary>
    public static async Task<(T? Found, ProblemHttpResult? Error)> FindAsync<T>(
        IQueryable<T> versionsOfName, string kind, string name, string version, CancellationToken ct) where T : class, IVersionedEntity
    {
        if (!Names.IsValid(name))
        {
            return (null, Problems.InvalidName($"{kind} name"));
        }
        if (!TryParse(version, out var number))
        {
            return (null, Invalid());
        }
        var found = number is { } exact
            ? await versionsOfName.FirstOrDefaultAsync(v => v.Version == exact, ct)
            : await versionsOfName.OrderByDescending(v => v.Version).FirstOrDefaultAsync(ct);
        return found is null ? (null, Problems.NotFound($"{kind} '{name}' has no version {version}.")) : (found, null);
    }
}
