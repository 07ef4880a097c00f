using Parquet;

namespace MlOps.PredictionLog.Tests;

public sealed class RoundTripTests
{
    private static readonly DateTime T0 = new(2026, 11, 30, 20, 15, 1, 123, 456, DateTimeKind.Utc);

    private static PredictionLogRow[] Predictions() =>
    [
        new(Guid.CreateVersion7(T0).ToString(), "ames", 3, "prod", null, T0, 0.42,
            """{"GrLivArea":1710,"Neighborhood":"CollgCr"}""", """{"score":208500.5}""", 208500.5, null),
        new(Guid.CreateVersion7(T0.AddSeconds(1)).ToString(), "ames", 4, "prod", "canary", T0.AddSeconds(1), 12.5,
            """{"GrLivArea":null,"Neighborhood":"Ünïcødé ✓"}""", """{"score":1.0}""", 1.0, null),
        new(Guid.CreateVersion7(T0.AddSeconds(2)).ToString(), "iris", 1, "staging", "shadow", T0.AddSeconds(2), 0,
            """{"sepal":5.1}""", """{"label":"setosa","probabilities":{"setosa":0.9}}""", null, "setosa"),
    ];

    [Fact]
    public async Task Predictions_round_trip_every_column_including_nulls()
    {
        var rows = Predictions();
        using var file = new MemoryStream();
        await PredictionLogWriter.WritePredictionsAsync(rows, file);

        file.Position = 0;
        var back = await PredictionLogReader.ReadPredictionsAsync(file);

        Assert.Equal(rows, back);
        Assert.All(back, r => Assert.Equal(DateTimeKind.Utc, r.Timestamp.Kind));
    }

    [Fact]
    public async Task Feedback_round_trips()
    {
        FeedbackRow[] rows =
        [
            new(Guid.CreateVersion7().ToString(), "ames", "208500.5", T0, "trainer"),
            new(Guid.CreateVersion7().ToString(), "iris", "setosa", T0.AddMinutes(5), null),
        ];
        using var file = new MemoryStream();
        await PredictionLogWriter.WriteFeedbackAsync(rows, file);

        file.Position = 0;
        Assert.Equal(rows, await PredictionLogReader.ReadFeedbackAsync(file));
    }

    [Fact]
    public async Task Columns_have_the_designed_names_and_types()
    {
        using var file = new MemoryStream();
        await PredictionLogWriter.WritePredictionsAsync(Predictions(), file);
        file.Position = 0;
        await using var reader = await ParquetReader.CreateAsync(file);

        // Parquet.Net exposes UTF-8 text as ReadOnlyMemory<char>.
        var fields = reader.Schema.GetDataFields()
            .Select(f => (f.Name, f.ClrType == typeof(ReadOnlyMemory<char>) ? typeof(string) : f.ClrType, f.IsNullable))
            .ToArray();
        Assert.Equal(
            [
                ("prediction_id", typeof(string), false), ("model", typeof(string), false), ("version", typeof(int), false),
                ("alias", typeof(string), false), ("arm", typeof(string), true), ("timestamp", typeof(DateTime), false),
                ("latency_ms", typeof(double), false), ("inputs", typeof(string), false), ("prediction", typeof(string), false),
                ("score", typeof(double), true), ("label", typeof(string), true),
            ],
            fields);
        Assert.Empty(PredictionLogSchema.Mismatches(reader.Schema, PredictionLogKinds.Predictions));
        Assert.NotEmpty(PredictionLogSchema.Mismatches(reader.Schema, PredictionLogKinds.Feedback));
    }

    [Fact]
    public async Task Summary_gives_rows_and_time_span()
    {
        using var file = new MemoryStream();
        await PredictionLogWriter.WritePredictionsAsync(Predictions(), file);
        file.Position = 0;

        var summary = await PredictionLogReader.SummarizeAsync(file, PredictionLogKinds.Predictions);

        Assert.Equal(new PredictionLogFileSummary(PredictionLogKinds.Predictions, 3, T0, T0.AddSeconds(2)), summary);
    }

    [Fact]
    public async Task A_feedback_file_is_not_a_predictions_file()
    {
        using var file = new MemoryStream();
        await PredictionLogWriter.WriteFeedbackAsync(
            [new("id", "ames", "1", T0, null)], file);
        file.Position = 0;

        var error = await Assert.ThrowsAsync<PredictionLogFormatException>(
            () => PredictionLogReader.ReadPredictionsAsync(file));
        Assert.Contains("'version' is missing", error.Message);
    }

    [Fact]
    public async Task A_column_of_another_type_is_named_in_the_error()
    {
        var wrong = new Parquet.Schema.ParquetSchema(
            new Parquet.Schema.DataField<string>("prediction_id"), new Parquet.Schema.DataField<string>("model"),
            new Parquet.Schema.DataField<double>("truth"), PredictionLogSchema.ReceivedAt, PredictionLogSchema.Source);
        using var file = new MemoryStream();
        await using (var writer = await ParquetWriter.CreateAsync(wrong, file))
        {
            using var group = writer.CreateRowGroup();
            await group.WriteAsync(wrong.GetDataFields()[0], new[] { "id" });
            await group.WriteAsync(wrong.GetDataFields()[1], new[] { "ames" });
            await group.WriteAsync<double>(wrong.GetDataFields()[2], new[] { 1.5 });
            await group.WriteAsync<DateTime>(wrong.GetDataFields()[3], new[] { T0 });
            await group.WriteAsync(wrong.GetDataFields()[4], new string?[] { null });
        }
        file.Position = 0;

        var error = await Assert.ThrowsAsync<PredictionLogFormatException>(() => PredictionLogReader.ReadFeedbackAsync(file));
        Assert.Contains("column 'truth' is Double, expected string", error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not parquet at all, just some text that is long enough")]
    [InlineData("PAR1 truncated PAR1")]
    public async Task Garbage_is_a_format_error(string content)
    {
        using var file = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content));
        await Assert.ThrowsAsync<PredictionLogFormatException>(
            () => PredictionLogReader.SummarizeAsync(file, PredictionLogKinds.Feedback));
    }
}
