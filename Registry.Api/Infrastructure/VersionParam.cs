using System.Globalization;

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
}
