using MlOps.ModelBundle.Drift;
using MlOps.ModelBundle.Features;
using MlOps.Registry.Client.Datasets;
using MlOps.Registry.Client.Jobs;

namespace MlOps.Training.Worker.Training;

/// <summary>
/// A CSV checked against a spec and split: feature columns with their levels (sorted distinct training
/// values), label values, train and test rows. Every mismatch between spec and data is a
/// <see cref="TrainingSpecException"/> with a message meant for the job's error field.
/// </summary>
public sealed class TrainingData
{
    public const int MaxClasses = 100;
    public const int MinRows = 10;

    private readonly DataColumn[] _featureColumns;

    /// <summary>Per categorical feature: its column's level code -> the encoder's level (-1: not a training level).</summary>
    private readonly int[][] _levelOfCode;

    private TrainingData(TrainingJobSpec spec, IReadOnlyList<DataColumn> columns, string datasetSha256, IReadOnlyList<FeatureColumn> features,
        DataColumn[] featureColumns, IReadOnlyList<string>? classes, double[] labels, int[] train, int[] test)
    {
        Spec = spec;
        Columns = columns;
        DatasetSha256 = datasetSha256;
        Features = features;
        Encoder = new FeatureEncoder(features);
        _featureColumns = featureColumns;
        _levelOfCode = featureColumns.Select((column, f) => column.IsNumeric ? []
            : column.Levels.Select(level => Encoder.LevelOf(f, level)).ToArray()).ToArray();
        Classes = classes;
        Labels = labels;
        Train = train;
        Test = test;
    }

    public TrainingJobSpec Spec { get; }

    /// <summary>Every column of the dataset, typed (the gate scores other models' features from them too).</summary>
    public IReadOnlyList<DataColumn> Columns { get; }

    /// <summary>Hex sha256 of the dataset's bytes; empty when the data did not come from bytes.</summary>
    public string DatasetSha256 { get; }

    public IReadOnlyList<FeatureColumn> Features { get; }
    public FeatureEncoder Encoder { get; }

    /// <summary>Binary: [negative, positive]. Multiclass: sorted class names (ML.NET key order). Regression: null.</summary>
    public IReadOnlyList<string>? Classes { get; }

    /// <summary>Per data row: the numeric label, or the class index into <see cref="Classes"/>; NaN when the label is missing.</summary>
    public double[] Labels { get; }

    public int[] Train { get; }
    public int[] Test { get; }

    /// <summary>The column of that name; null when the dataset has none.</summary>
    public DataColumn? Column(string name) => Columns.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.Ordinal));

    /// <summary>A feature's raw value in a row: double? for numeric columns, string? for categorical ones.</summary>
    public double? NumericValue(int feature, int row) => _featureColumns[feature].Number(row);

    public string? CategoricalValue(int feature, int row) => _featureColumns[feature].Text(row);

    /// <summary>Encodes one data row with <see cref="Encoder"/> (unknown levels: all zeros, missing numbers: NaN).</summary>
    public float[] Encode(int row)
    {
        var vector = new float[Encoder.Length];
        EncodeInto(row, vector);
        return vector;
    }

    /// <summary><see cref="Encode"/> into a caller's vector of <see cref="FeatureEncoder.Length"/> (every slot is written).</summary>
    public void EncodeInto(int row, Span<float> vector)
    {
        for (var f = 0; f < Features.Count; f++)
        {
            var column = _featureColumns[f];
            if (column.IsNumeric) Encoder.SetNumeric(vector, f, column.Number(row));
            else Encoder.SetLevel(vector, f, column.Code(row) is var code and >= 0 ? _levelOfCode[f][code] : -1);
        }
    }

    /// <summary>Drift baseline of each feature over the training rows.</summary>
    public IReadOnlyList<FeatureBaseline> BuildBaseline() =>
        Features.Select((column, f) => column.Kind == FeatureKind.Numeric
            ? BaselineBuilder.Numeric(column.Name, Train.Select(r => NumericValue(f, r)))
            : BaselineBuilder.Categorical(column.Name, Train.Select(r => CategoricalValue(f, r)))).ToList();

    /// <summary>
    /// Checks a table in memory against the spec and splits it. <paramref name="firstTestRow"/> set: rows before it
    /// train, the rest test (an externally made split); else a shuffle seeded with the spec's split seed.
    /// </summary>
    public static TrainingData Prepare(TrainingJobSpec spec, CsvTable table, IReadOnlyList<DatasetColumn>? schema, int? firstTestRow = null) =>
        Load(spec, () => new TableRecords(table), schema, table.Sha256, firstTestRow);

    /// <summary>
    /// Checks a downloaded dataset against the spec and loads it as typed columns, streaming the file (twice when the
    /// schema leaves column types to infer), then splits as <see cref="Prepare"/> does.
    /// </summary>
    public static TrainingData Load(TrainingJobSpec spec, DatasetFile file, IReadOnlyList<DatasetColumn>? schema, int? firstTestRow = null) =>
        Load(spec, file.OpenReader, schema, file.Sha256, firstTestRow);

    private static TrainingData Load(TrainingJobSpec spec, Func<ICsvRecords> open, IReadOnlyList<DatasetColumn>? schema, string sha256, int? firstTestRow)
    {
        if (!TrainingTasks.All.Contains(spec.Task))
            throw new TrainingSpecException($"Unknown task '{spec.Task}': expected one of {string.Join(", ", TrainingTasks.All)}.");
        if (string.IsNullOrWhiteSpace(spec.Label))
            throw new TrainingSpecException("The spec names no label column.");
        if (spec.Register is { } register)
        {
            if (string.IsNullOrWhiteSpace(register.Model)) throw new TrainingSpecException("register.model is empty.");
            if (register.Gate is { } gate && !MetricNames.ForTask(spec.Task).Contains(gate.Metric))
                throw new TrainingSpecException($"Gate metric '{gate.Metric}' is not a {spec.Task} metric ({string.Join(", ", MetricNames.ForTask(spec.Task))}).");
            if (register.Gate is { MinImprovement: < 0 or double.NaN })
                throw new TrainingSpecException("Gate minImprovement must be 0 or more.");
        }
        IReadOnlyList<string> header;
        bool empty;
        using (var records = open())
        {
            header = records.Header;
            empty = !records.Read();
        }
        if (empty)
            throw new TrainingSpecException("The dataset is empty: it has a header but no data rows.");
        if (!header.Contains(spec.Label))
            throw new TrainingSpecException($"Label column '{spec.Label}' is not in the dataset (columns: {List(header)}).");

        var featureNames = spec.Features ?? header.Where(h => h != spec.Label).ToList();
        var unknown = featureNames.Where(f => !header.Contains(f)).ToList();
        if (unknown.Count > 0)
            throw new TrainingSpecException($"Feature column(s) {List(unknown)} not in the dataset (columns: {List(header)}).");
        if (featureNames.Contains(spec.Label))
            throw new TrainingSpecException($"The label '{spec.Label}' is also listed as a feature.");
        if (featureNames.Count == 0)
            throw new TrainingSpecException("The spec leaves no feature column.");
        if (featureNames.Distinct(StringComparer.Ordinal).Count() != featureNames.Count)
            throw new TrainingSpecException("A feature column is listed twice.");

        // A classification label is held as its texts whatever its type: "1" and "1.0" are two classes.
        var coded = spec.Task == TrainingTasks.Regression ? new HashSet<string>() : new HashSet<string> { spec.Label };
        var (columns, types) = ColumnLoader.Load(open, schema, coded);
        var byName = columns.ToDictionary(c => c.Name, StringComparer.Ordinal);
        var (classes, labels) = ReadLabels(spec, byName[spec.Label], types[spec.Label]);
        var (train, test) = Split(spec, labels, firstTestRow);

        var features = new List<FeatureColumn>(featureNames.Count);
        var featureColumns = new DataColumn[featureNames.Count];
        for (var f = 0; f < featureNames.Count; f++)
        {
            var column = featureColumns[f] = byName[featureNames[f]];
            if (column.IsNumeric)
            {
                features.Add(new FeatureColumn(column.Name, FeatureKind.Numeric));
                continue;
            }
            var seen = new bool[column.Levels.Count];
            foreach (var r in train)
                if (column.Code(r) is var code and >= 0) seen[code] = true;
            var levels = column.Levels.Where((_, code) => seen[code]).Order(StringComparer.Ordinal).ToList();
            features.Add(new FeatureColumn(column.Name, FeatureKind.Categorical, levels));
        }
        return new TrainingData(spec, columns, sha256, features, featureColumns, classes, labels, train, test);
    }

    private static (IReadOnlyList<string>? Classes, double[] Labels) ReadLabels(TrainingJobSpec spec, DataColumn column, string labelType)
    {
        var labels = new double[column.Length];
        if (spec.Task == TrainingTasks.Regression)
        {
            if (labelType != ColumnTypes.Numeric)
            {
                var example = ColumnValues.FirstNonNumeric(column);
                throw new TrainingSpecException($"Task regression needs a numeric label, but '{spec.Label}' is categorical"
                    + (example is { } e ? $" (data row {e.Row + 1} holds '{e.Value}')." : "."));
            }
            for (var r = 0; r < labels.Length; r++) labels[r] = column.Number(r) ?? double.NaN;
            return (null, labels);
        }

        var distinct = column.Levels;
        // Numeric labels (0/1, 1..4) sort as numbers, text labels ordinally.
        var classes = labelType == ColumnTypes.Numeric
            ? distinct.Where(v => !ColumnValues.IsNumericMissing(v)).OrderBy(v => ColumnValues.TryParseNumber(v, out var d) ? d : double.NaN).ThenBy(v => v, StringComparer.Ordinal).ToList()
            : distinct.Order(StringComparer.Ordinal).ToList();
        if (spec.Task == TrainingTasks.Binary)
        {
            if (classes.Count != 2)
                throw new TrainingSpecException($"Task binary needs a label with exactly 2 values, but '{spec.Label}' has {classes.Count}"
                    + $" ({List(classes.Take(10))}{(classes.Count > 10 ? ", ..." : "")}).");
            if (spec.PositiveClass is { } positive)
            {
                if (!classes.Contains(positive))
                    throw new TrainingSpecException($"Positive class '{positive}' is not a value of '{spec.Label}' ({List(classes)}).");
                if (classes[0] == positive) classes.Reverse();
            }
        }
        else if (classes.Count < 2 || classes.Count > MaxClasses)
        {
            throw new TrainingSpecException($"Task multiclass needs a label with 2 to {MaxClasses} values, but '{spec.Label}' has {classes.Count}"
                + (labelType == ColumnTypes.Numeric && classes.Count > MaxClasses ? " (a continuous label: use task regression)." : "."));
        }
        var index = classes.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i, StringComparer.Ordinal);
        // Level code -> class index; NaN for a level that is no class (a "NA" in a numeric label).
        var classOfCode = distinct.Select(v => index.TryGetValue(v, out var k) ? k : double.NaN).ToArray();
        for (var r = 0; r < labels.Length; r++)
            labels[r] = column.Code(r) is var code and >= 0 ? classOfCode[code] : double.NaN;
        return (classes, labels);
    }

    private static (int[] Train, int[] Test) Split(TrainingJobSpec spec, double[] labels, int? firstTestRow)
    {
        // Rows without a label can neither train nor be scored.
        var usable = Enumerable.Range(0, labels.Length).Where(r => !double.IsNaN(labels[r])).ToArray();
        if (usable.Length < MinRows)
            throw new TrainingSpecException($"The dataset has {usable.Length} rows with a label; at least {MinRows} are needed.");
        if (firstTestRow is { } first)
            return (usable.Where(r => r < first).ToArray(), usable.Where(r => r >= first).ToArray());

        var split = spec.Split ?? new SplitSpec();
        if (split.TestFraction is <= 0 or >= 1)
            throw new TrainingSpecException($"Split testFraction must be between 0 and 1 (exclusive), not {split.TestFraction}.");
        // Fisher-Yates with a seeded Random: the same seed gives the same split on every machine and run.
        var random = new Random(split.Seed);
        for (var i = usable.Length - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (usable[i], usable[j]) = (usable[j], usable[i]);
        }
        var testCount = Math.Clamp((int)Math.Round(usable.Length * split.TestFraction), 1, usable.Length - 1);
        var test = usable[..testCount];
        var train = usable[testCount..];
        Array.Sort(test);
        Array.Sort(train);
        return (train, test);
    }

    private static string List(IEnumerable<string> names) => string.Join(", ", names.Select(n => $"'{n}'"));
}
