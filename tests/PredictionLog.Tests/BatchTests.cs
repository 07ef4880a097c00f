using System.Text;
using Parquet;

namespace MlOps.PredictionLog.Tests;

/// <summary>The columnar batch serving fills (UTF-8 text, reused buffers) and the row groups it is written in.</summary>
public sealed class BatchTests
{
    private static readonly DateTime T0 = new(2026, 12, 1, 0, 30, 0, DateTimeKind.Utc);

    [Fact]
    public async Task A_batch_larger_than_a_row_group_round_trips_row_by_row_in_order()
    {
        var rows = Enumerable.Range(0, 2 * PredictionLogWriter.RowGroupRows + 17).Select(Row).ToArray();
        var batch = new PredictionLogBatch();
        foreach (var row in rows) Add(batch, row);

        using var file = new MemoryStream();
        await PredictionLogWriter.WritePredictionsAsync(batch, file);

        file.Position = 0;
        Assert.Equal(rows, await PredictionLogReader.ReadPredictionsAsync(file));
        file.Position = 0;
        await using var reader = await ParquetReader.CreateAsync(file);
        Assert.Equal(3, reader.RowGroupCount);
    }

    [Fact]
    public async Task A_cleared_batch_is_refilled_without_leftovers_of_the_previous_rows()
    {
        var batch = new PredictionLogBatch();
        foreach (var row in Enumerable.Range(0, 50).Select(Row)) Add(batch, row);
        batch.Clear();
        var second = Enumerable.Range(100, 3).Select(Row).ToArray();
        foreach (var row in second) Add(batch, row);

        using var file = new MemoryStream();
        await PredictionLogWriter.WritePredictionsAsync(batch, file);

        file.Position = 0;
        Assert.Equal(second, await PredictionLogReader.ReadPredictionsAsync(file));
    }

    [Fact]
    public async Task Truncate_undoes_a_half_added_row()
    {
        var batch = new PredictionLogBatch();
        var kept = Row(1);
        Add(batch, kept);
        // A request whose conversion failed after its inputs were copied in.
        batch.Inputs.Add("""{"x":2}"""u8);

        batch.Truncate(1);

        Assert.Equal(1, batch.Count);
        Assert.Equal(1, batch.Inputs.Count);
        using var file = new MemoryStream();
        await PredictionLogWriter.WritePredictionsAsync(batch, file);
        file.Position = 0;
        Assert.Equal([kept], await PredictionLogReader.ReadPredictionsAsync(file));
    }

    [Fact]
    public void A_row_needs_its_inputs_and_prediction_first()
    {
        var batch = new PredictionLogBatch();
        batch.Inputs.Add("{}"u8);

        Assert.Throws<InvalidOperationException>(() =>
            batch.Add(Guid.CreateVersion7(), "m", 1, "production", null, T0, 1, null, "a"));
    }

    [Fact]
    public void A_column_written_in_place_keeps_each_value_apart()
    {
        var column = new Utf8Column();
        column.Add("first"u8);
        var span = column.GetSpan(3);
        "abc"u8.CopyTo(span);
        column.Advance(3);
        "de"u8.CopyTo(column.GetSpan(2));
        column.Advance(2);
        column.EndValue();
        column.Add(""u8);

        Assert.Equal(3, column.Count);
        Assert.Equal("first", Encoding.UTF8.GetString(column[0]));
        Assert.Equal("abcde", Encoding.UTF8.GetString(column[1]));
        Assert.Equal("", Encoding.UTF8.GetString(column[2]));
    }

    // Every column varies, with non-ASCII text, nulls and a canary arm on some rows.
    private static PredictionLogRow Row(int i) => new(
        Guid.CreateVersion7(T0.AddMilliseconds(i)).ToString(), i % 3 == 0 ? "ames" : "credit", 1 + i % 4, "production",
        i % 5 == 0 ? "canary" : null, T0.AddMilliseconds(i), i / 8.0,
        $$"""{"Lot_Area":{{i}},"Neighborhood":"Ünïcødé-{{i % 7}}"}""",
        i % 2 == 0 ? $$"""{"value":{{i}}.5}""" : """{"label":"bad"}""",
        i % 2 == 0 ? i + 0.5 : null, i % 2 == 0 ? null : "bad");

    private static void Add(PredictionLogBatch batch, PredictionLogRow row)
    {
        batch.Inputs.Add(Encoding.UTF8.GetBytes(row.Inputs));
        batch.Predictions.Add(Encoding.UTF8.GetBytes(row.Prediction));
        batch.Add(Guid.Parse(row.PredictionId), row.Model, row.Version, row.Alias, row.Arm, row.Timestamp, row.LatencyMs, row.Score, row.Label);
    }
}
