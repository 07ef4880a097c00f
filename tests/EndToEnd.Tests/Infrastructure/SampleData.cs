using System.Globalization;
using System.Text.Json.Nodes;
using MlOps.Registry.Client.Models;

namespace MlOps.EndToEnd.Tests.Infrastructure;

/// <summary>Rows of the sample Ames CSV, as serving request rows typed by a model's input schema.</summary>
public static class SampleData
{
    public const string AmesDatasetName = "ames";
    public const string AmesLabel = "Sale_Price";

    public static string AmesCsvPath => RepoPaths.Samples("datasets/ames_housing.csv");

    /// <summary>The first <paramref name="count"/> data rows, header-keyed; empty fields are null.</summary>
    public static IReadOnlyList<Dictionary<string, string?>> ReadRows(int count)
    {
        using var reader = new StreamReader(AmesCsvPath);
        var header = SplitLine(reader.ReadLine() ?? throw new InvalidDataException("empty CSV"));
        var rows = new List<Dictionary<string, string?>>();
        while (rows.Count < count && reader.ReadLine() is { } line)
        {
            var fields = SplitLine(line);
            rows.Add(header.Zip(fields).ToDictionary(p => p.First, p => p.Second.Length == 0 ? null : p.Second));
        }
        return rows;
    }

    /// <summary>A row as JSON: numeric columns as numbers, categorical as strings, the label left out.</summary>
    public static JsonObject ToJson(Dictionary<string, string?> row, IReadOnlyList<FeatureSchema> schema)
    {
        var json = new JsonObject();
        foreach (var column in schema)
        {
            var value = row[column.Name];
            json[column.Name] = value is null ? null
                : column.Type == "numeric" ? JsonValue.Create(double.Parse(value, CultureInfo.InvariantCulture))
                : JsonValue.Create(value);
        }
        return json;
    }

    // The sample CSVs quote strings and never put a comma or quote inside a field.
    private static string[] SplitLine(string line) => line.Split(',').Select(f => f.Trim('"')).ToArray();
}
