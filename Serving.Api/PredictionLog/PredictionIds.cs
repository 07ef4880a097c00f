namespace MlOps.Serving.Api.PredictionLog;

/// <summary>
/// Prediction ids: UUIDv7 (RFC 9562), so they sort by time and need no coordination between replicas.
/// Generated for every answered row, logged or not, so that a client can always send feedback.
/// </summary>
public static class PredictionIds
{
    public static Guid[] New(int rows)
    {
        var ids = new Guid[rows];
        for (var i = 0; i < ids.Length; i++) ids[i] = Guid.CreateVersion7();
        return ids;
    }

    /// <summary>The text form used in responses, log files and feedback ("D": 36 characters, lower case).</summary>
    public static string Format(Guid id) => id.ToString("D");

    public static bool TryParse(string? text, out Guid id) => Guid.TryParseExact(text, "D", out id);
}
