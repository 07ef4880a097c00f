using System.Globalization;
using MlOps.Registry.Api.Data;
using MlOps.Registry.Client.PredictionLogs;

namespace MlOps.Registry.Api.PredictionLogs;

public static class PredictionLogFileMapping
{
    public static PredictionLogFile ToContract(this PredictionLogFileEntity f) =>
        new(f.Id, f.Model, f.Kind, f.Version, f.Date, f.Key, f.Rows, f.Bytes, f.MinTs, f.MaxTs, f.CreatedAt);

    /// <summary>The object key of the design (docs/prediction-log.md): Hive-style partitions any query engine reads.</summary>
    public static string KeyFor(string model, string kind, int? version, DateOnly date, Guid id) =>
        $"prediction-logs/{model}/{kind}/"
        + (version is { } v ? $"version={v.ToString(CultureInfo.InvariantCulture)}/" : "")
        + $"date={date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}/{id}.parquet";
}
