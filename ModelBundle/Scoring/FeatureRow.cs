using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlOps.ModelBundle.Scoring;

/// <summary>ML.NET input row: the encoded feature vector. Its length is only known per model, hence the schema helper.</summary>
public sealed class FeatureRow
{
    public const string FeaturesColumn = "Features";

    public float[] Features { get; set; } = [];

    public static SchemaDefinition SchemaFor(int length)
    {
        var schema = SchemaDefinition.Create(typeof(FeatureRow));
        schema[nameof(Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, length);
        return schema;
    }
}

internal sealed class RegressionOutput
{
    public float Score { get; set; }
}

internal sealed class BinaryOutput
{
    public float Score { get; set; }
    public float Probability { get; set; }
}

internal sealed class MulticlassOutput
{
    public float[] Score { get; set; } = [];
}
