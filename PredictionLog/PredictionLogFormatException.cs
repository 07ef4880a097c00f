namespace MlOps.PredictionLog;

/// <summary>The stream is not Parquet, or not a file of the expected kind; the message says why (safe for a 400).</summary>
public sealed class PredictionLogFormatException : Exception
{
    public PredictionLogFormatException(string message, Exception? inner = null) : base(message, inner) { }
}
