// ParseBench BUNDLE BODY... : CPU and wall us/row of RowParser.TryParse on request bodies (the peers' sample_row.json
// and sample_batch100.json), one thread, the body whole and cut in 4 KB segments as Kestrel's pipe hands it over.
// First checks that each body encodes to the same vectors and level codes as the same body with every row's first
// column name escaped (which the byte scan leaves to the Utf8JsonReader path).
using System.Buffers;
using System.Diagnostics;
using System.Text;
using MlOps.ModelBundle.Features;
using MlOps.ModelBundle.Packaging;
using MlOps.Serving.Api.Predict;

var (manifest, model) = await ModelBundleFile.ReadAsync(File.OpenRead(args[0]), CancellationToken.None);
await model.DisposeAsync();
var encoder = new FeatureEncoder(manifest.Features);
var schema = new InputSchema(encoder);
var scratch = new PredictScratch(encoder.Length, schema.Count);
foreach (var file in args.Skip(1))
{
    var text = File.ReadAllText(file);
    var first = schema.Names[0];
    var escaped = text.Replace($"\"{first}\":", $"\"\\u{(int)first[0]:x4}{first[1..]}\":", StringComparison.Ordinal);
    var plain = new PredictScratch(encoder.Length, schema.Count);
    var reader = new PredictScratch(encoder.Length, schema.Count);
    Parse(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(text)), plain);
    Parse(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(escaped)), reader);
    for (var r = 0; r < plain.Count; r++)
        if (!plain[r].AsSpan().SequenceEqual(reader[r]) || !plain.Levels(r).AsSpan().SequenceEqual(reader.Levels(r)))
            throw new InvalidOperationException($"{file}: row {r} encodes differently with an escaped name");

    var bytes = Encoding.UTF8.GetBytes(text);
    foreach (var (name, body) in new[] { ("whole", new ReadOnlySequence<byte>(bytes)), ("4 KB segments", Segments(bytes, 4096)), ("escaped name, 4 KB segments", Segments(Encoding.UTF8.GetBytes(escaped), 4096)) })
    {
        Parse(body, scratch);
        var rows = scratch.Count;
        var iterations = Math.Max(200, 100_000 / rows);
        for (var i = 0; i < iterations / 4; i++) Parse(body, scratch);
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < iterations; i++) Parse(body, scratch);
        var wall = clock.Elapsed.TotalMicroseconds / iterations / rows;
        process.Refresh();
        var cpuUs = (process.TotalProcessorTime - cpu).TotalMicroseconds / iterations / rows;
        Console.WriteLine($"{Path.GetFileName(file)} ({rows} rows), {name}: {cpuUs:F2} us/row CPU, {wall:F2} wall");
    }
}

void Parse(ReadOnlySequence<byte> body, PredictScratch target)
{
    if (!RowParser.TryParse(body, schema, target, 10_000, out var error)) throw new InvalidOperationException(error.Message);
}

static ReadOnlySequence<byte> Segments(byte[] bytes, int size)
{
    Segment? first = null, last = null;
    for (var i = 0; i < bytes.Length; i += size)
    {
        var segment = new Segment(bytes.AsMemory(i, Math.Min(size, bytes.Length - i)));
        if (first is null) first = last = segment;
        else last = last!.Append(segment);
    }
    return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
}

internal sealed class Segment : ReadOnlySequenceSegment<byte>
{
    public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

    public Segment Append(Segment next)
    {
        next.RunningIndex = RunningIndex + Memory.Length;
        Next = next;
        return next;
    }
}
