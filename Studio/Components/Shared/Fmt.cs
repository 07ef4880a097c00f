using System.Globalization;

namespace MlOps.Studio.Components.Shared;

/// <summary>Invariant formatting for numbers, times and sizes shown in tables.</summary>
public static class Fmt
{
    public static string Num(double v) =>
        double.IsNaN(v) ? "NaN"
        : Math.Abs(v) >= 1e6 || (Math.Abs(v) < 1e-4 && v != 0) ? v.ToString("0.####E+0", CultureInfo.InvariantCulture)
        : v.ToString("0.#####", CultureInfo.InvariantCulture);

    public static string When(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";

    public static string When(DateTimeOffset? t) => t is { } v ? When(v) : "";

    public static string Duration(DateTimeOffset start, DateTimeOffset? end)
    {
        if (end is not { } e)
        {
            return "";
        }
        var d = e - start;
        return d.TotalSeconds < 60 ? d.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s"
            : d.TotalMinutes < 60 ? $"{(int)d.TotalMinutes} min {d.Seconds} s"
            : $"{(int)d.TotalHours} h {d.Minutes} min";
    }

    public static string Bytes(long n) =>
        n < 1024 ? $"{n} B"
        : n < 1 << 20 ? (n / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " KiB"
        : n < 1L << 30 ? (n / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture) + " MiB"
        : (n / 1073741824.0).ToString("0.00", CultureInfo.InvariantCulture) + " GiB";

    /// <summary>Ids are UUIDv7: the first hex digits are a timestamp, so ids made together share them; the tail tells them apart.</summary>
    public static string Short(Guid id) => id.ToString("N") is var n ? $"{n[..8]}…{n[^4..]}" : "";

    public static string Url(string s) => Uri.EscapeDataString(s);
}
