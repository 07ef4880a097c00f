using System.Text;
using System.Text.Json;
using MlOps.Training.Worker.Jobs;
using MlOps.Training.Worker.Training;

namespace MlOps.Training.Worker.Tests.Training;

/// <summary>The worker reads spec files and CSVs by the registry's rules: strict JSON, UTF-8 with the BOM dropped.</summary>
public sealed class SpecFileAndEncodingTests
{
    [Fact]
    public async Task A_bom_is_dropped_and_cr_only_lines_are_rows_as_in_the_registry_profile()
    {
        using var bom = new MemoryStream([0xEF, 0xBB, 0xBF, .. "a,b\n1,2\n"u8.ToArray()]);
        Assert.Equal(["a", "b"], (await CsvTable.ReadAsync(bom, CancellationToken.None)).Header);
        using var cr = new MemoryStream("x,y\r1,2\r3,4\r"u8.ToArray());
        var table = await CsvTable.ReadAsync(cr, CancellationToken.None);
        Assert.Equal(["x", "y"], table.Header);
        Assert.Equal(2, table.Rows.Count);
    }

    [Fact]
    public async Task Invalid_utf8_is_refused()
    {
        using var csv = new MemoryStream([.. "a,b\n1,"u8.ToArray(), 0xFF, (byte)'\n']);
        await Assert.ThrowsAsync<DecoderFallbackException>(() => CsvTable.ReadAsync(csv, CancellationToken.None));
    }

    [Theory]
    [InlineData("{\"experiment\":\"e\",\"dataset\":{\"name\":\"d\"},\"task\":\"binary\",\"label\":\"y\",\"trainer\":{\"numberOfIterations\":\"300\"}}",
        "'trainer.numberOfIterations' has the wrong type: expected an integer")]
    [InlineData("{\"experiment\":\"e\",\"dataset\":{\"name\":\"d\"},\"task\":\"binary\",\"label\":\"y\",\"epochs\":5}", "Unknown field 'epochs'")]
    [InlineData("{\"spec\":{}}", "Unknown field 'spec'")]
    public void A_spec_file_is_read_strictly(string json, string expected)
    {
        var error = Assert.Throws<JsonException>(() => JobSpecFile.Parse(Encoding.UTF8.GetBytes(json), "job.json"));
        Assert.StartsWith("job.json: ", error.Message);
        Assert.Contains(expected, error.Message);
    }
}
