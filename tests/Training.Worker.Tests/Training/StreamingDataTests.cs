using System.Text;
using MlOps.Registry.Client.Datasets;
using MlOps.Registry.Client.Jobs;
using MlOps.Training.Worker.Training;

namespace MlOps.Training.Worker.Tests.Training;

/// <summary>The worker's streaming data path: records read a block at a time, typed columns, the same model bytes.</summary>
public sealed class StreamingDataTests
{
    [Fact]
    public void Records_are_the_same_whatever_the_text_arrives_in()
    {
        // Quoted line breaks, doubled quotes, CRLF and a BOM, with a long field so records straddle the 64 KiB blocks.
        var text = new StringBuilder("\uFEFFid,note,n\r\n");
        for (var i = 0; i < 3000; i++)
            text.Append(i).Append(",\"line ").Append(i).Append("\nsaid \"\"hi\"\", ").Append(new string('x', i % 97)).Append("\",").Append(i % 5 == 0 ? "" : "7").Append(i % 2 == 0 ? "\r\n" : "\n");
        var whole = Records(new StringReader(text.ToString()));
        var trickled = Records(new TrickleReader(text.ToString()));

        Assert.Equal(3000, whole.Count);
        Assert.Equal(whole, trickled);
        Assert.Equal("line 1\nsaid \"hi\", x", whole[1][1]);
        Assert.Null(whole[0][2]);
    }

    [Fact]
    public async Task Loading_from_a_file_gives_the_table_path_s_data_and_the_same_model_bytes()
    {
        var spec = Samples.Hpc;
        var path = Samples.Dataset(spec.Dataset.Name);
        TrainingData streamed;
        await using (var csv = File.OpenRead(path))
        await using (var file = await DatasetFile.SpoolAsync(csv, CancellationToken.None))
        {
            streamed = TrainingData.Load(spec, file, schema: null);
        }
        await using var again = File.OpenRead(path);
        var table = await CsvTable.ReadAsync(again, CancellationToken.None);
        var inMemory = TrainingData.Prepare(spec, table, schema: null);

        Assert.Equal(table.Sha256, streamed.DatasetSha256);
        Assert.Equal(inMemory.Train, streamed.Train);
        Assert.Equal(inMemory.Test, streamed.Test);
        Assert.Equal(inMemory.Labels, streamed.Labels);
        foreach (var row in streamed.Test.Take(50)) Assert.Equal(inMemory.Encode(row), streamed.Encode(row));

        var settings = LightGbmSettings.From(spec.Trainer);
        var a = await ModelTrainer.TrainAsync(streamed, settings, CancellationToken.None);
        var b = await ModelTrainer.TrainAsync(inMemory, settings, CancellationToken.None);
        Assert.Equal(b.Sha256, a.Sha256);
        Assert.Equal(b.LearningCurve, a.LearningCurve);
    }

    [Fact]
    public async Task A_numeric_cell_that_is_no_number_names_its_column_and_row()
    {
        var spec = new TrainingJobSpec("e", new DatasetRef("d"), TrainingTasks.Regression, "y");
        var csv = "x,y\n" + string.Concat(Enumerable.Range(0, 20).Select(i => $"{i},{i * 2}\n")) + "oops,1\n";
        DatasetColumn[] schema = [new("x", ColumnTypes.Numeric, 0, null, null), new("y", ColumnTypes.Numeric, 0, null, null)];
        await using var file = await DatasetFile.SpoolAsync(new MemoryStream(Encoding.UTF8.GetBytes(csv)), CancellationToken.None);

        var error = Assert.Throws<TrainingSpecException>(() => TrainingData.Load(spec, file, schema));
        Assert.Contains("Column 'x' is numeric but data row 21 holds 'oops'", error.Message);
    }

    private static List<string?[]> Records(TextReader text)
    {
        using var reader = new CsvReader(text);
        Assert.Equal(["id", "note", "n"], reader.Header);
        var rows = new List<string?[]>();
        while (reader.Read()) rows.Add(Enumerable.Range(0, reader.FieldCount).Select(reader.GetString).ToArray());
        return rows;
    }

    /// <summary>Hands out the text a few characters per read.</summary>
    private sealed class TrickleReader(string text) : TextReader
    {
        private int _position;

        public override int Read(char[] buffer, int index, int count)
        {
            var n = Math.Min(Math.Min(count, 3), text.Length - _position);
            text.CopyTo(_position, buffer, index, n);
            _position += n;
            return n;
        }
    }
}
