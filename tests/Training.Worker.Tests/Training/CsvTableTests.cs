using MlOps.Training.Worker.Training;

namespace MlOps.Training.Worker.Tests.Training;

public sealed class CsvTableTests
{
    [Fact]
    public void Reads_quotes_doubled_quotes_line_breaks_and_crlf()
    {
        var table = CsvTable.Parse("name,note,n\r\n\"Smith, J\",\"said \"\"hi\"\"\",1\r\n\"two\nlines\",,2\r\n");

        Assert.Equal(["name", "note", "n"], table.Header);
        Assert.Equal(new string?[] { "Smith, J", "said \"hi\"", "1" }, table.Rows[0].AsEnumerable());
        Assert.Equal(new string?[] { "two\nlines", null, "2" }, table.Rows[1].AsEnumerable());
    }

    [Fact]
    public void Empty_is_missing_and_None_is_a_value()
    {
        var table = CsvTable.Parse("a,b\n\"None\",\nNone,\"\"\n");

        Assert.Equal(new string?[] { "None", null }, table.Rows[0].AsEnumerable());
        Assert.Equal(new string?[] { "None", null }, table.Rows[1].AsEnumerable());
    }

    [Theory]
    [InlineData("a,b\n1,2,3\n", "data row 1 has 3 fields")]
    [InlineData("a,b\n\"open,2\n", "not closed")]
    [InlineData("a,a\n1,2\n", "appears twice")]
    [InlineData("", "empty")]
    public void Malformed_csv_is_refused_with_the_place(string csv, string message) =>
        Assert.Contains(message, Assert.Throws<InvalidDataException>(() => CsvTable.Parse(csv)).Message);
}
