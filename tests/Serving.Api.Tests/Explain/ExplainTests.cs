using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlOps.ModelBundle.Explaining;
using MlOps.ModelBundle.Scoring;
using MlOps.ModelBundle.Trees;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Jobs;
using MlOps.Registry.Client.Serving;
using MlOps.Serving.Api.Tests.Infrastructure;
using MlOps.Training.Worker.Training;

namespace MlOps.Serving.Api.Tests.Explain;

/// <summary>
/// <c>POST /v1/models/{name}/explain</c> through the real pipeline, for the three tasks: each row's contributions
/// add up to its raw score, equal the offline explainer's, and come with the prediction predict gives; bad input
/// and a bundle without covers get problem details.
/// </summary>
[Collection(ServingCollection.Name)]
public sealed class ExplainTests(TrainedModels models) : IAsyncLifetime
{
    private readonly Dictionary<string, (TrainedModel Model, ScoringModel Offline, string Path)> _explained = [];
    private readonly List<string> _plainFiles = [];
    private ServingFactory _factory = null!;
    private ServingClient _client = null!;

    public async Task InitializeAsync()
    {
        // The shared models' bundles with their covers added, as the trainer would write them (same spec, same split).
        await AddAsync("ames", models.Ames, "ames_housing.csv", TrainingTasks.Regression, "Sale_Price", null);
        await AddAsync("credit", models.Credit, "credit_scoring.csv", TrainingTasks.Binary, "Status", "bad");
        await AddAsync("hpc", models.Hpc, "hpc_data.csv", TrainingTasks.Multiclass, "class", null);
        // And two bundles as the trainer wrote them before it recorded covers: Ames (ML.NET's calculator) and HPC (neither).
        var files = _explained.Select(e => (e.Key, e.Value.Path))
            .Append(("ames-plain", await WithoutCoversAsync(models.Ames))).Append(("hpc-plain", await WithoutCoversAsync(models.Hpc))).ToArray();
        _factory = new ServingFactory(ServingFactory.FromFiles(files));
        _client = await _factory.StartReadyAsync();
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        foreach (var (_, _, path) in _explained.Values) File.Delete(path);
        foreach (var path in _plainFiles) File.Delete(path);
    }

    [Theory]
    [InlineData("ames", 1)]
    [InlineData("credit", 1)]
    [InlineData("hpc", 4)]
    public async Task Contributions_add_up_to_the_raw_scores_and_equal_the_offline_explainer(string name, int scores)
    {
        var (model, offline, _) = _explained[name];
        var rows = model.TestRows.Take(60).ToList<IReadOnlyDictionary<string, object?>>();
        var response = await _client.ExplainAsync(name, PredictRequest.Batch(rows));

        Assert.Equal(name, response.Model);
        Assert.Equal(1, response.Version);
        Assert.Equal("tree-shap", response.Method);
        Assert.Equal(rows.Count, response.Explanations.Count);
        var explainer = offline.Explainer!;
        var columns = offline.Manifest.Features.Select(f => f.Name).ToList();
        for (var i = 0; i < rows.Count; i++)
        {
            var explanation = response.Explanations[i];
            Assertions.SamePrediction(model.Offline[i], explanation.Prediction);
            Assert.Equal(scores, explanation.Scores.Count);
            var (raw, phi) = OfflineExplain(explainer, offline, model.TestRows[i]);
            for (var e = 0; e < scores; e++)
            {
                var score = explanation.Scores[e];
                Assert.Equal(columns, score.Contributions.Keys);
                Assert.True(Math.Abs(score.BaseValue!.Value + score.Contributions.Values.Sum() - score.RawScore) <= 1e-6,
                    $"row {i} score {e}: {score.BaseValue} + contributions != {score.RawScore}");
                // Doubles survive the JSON round trip exactly: the same numbers as the explainer on the offline encoding.
                Assert.Equal(raw[e], score.RawScore);
                Assert.Equal(explainer.BaseValue(e), score.BaseValue);
                for (var c = 0; c < columns.Count; c++) Assert.Equal(phi[e * columns.Count + c], score.Contributions[columns[c]]);
            }
            if (name != "hpc") Assert.Equal((float)explanation.Scores[0].RawScore, (float)explanation.Prediction.Value!.Value);
        }
        // Regression: no class; binary: the positive class's margin; multiclass: every class in model order.
        var expectedClasses = name switch { "ames" => [null], "credit" => ["bad"], _ => offline.Manifest.Classes!.ToArray<string?>() };
        Assert.Equal(expectedClasses, response.Explanations[0].Scores.Select(s => s.Class));
    }

    [Fact]
    public async Task A_single_row_is_explained_too()
    {
        var response = await _client.ExplainAsync("credit", PredictRequest.Single(models.Credit.TestRows[5]));
        var explanation = Assert.Single(response.Explanations);
        Assertions.SamePrediction(models.Credit.Offline[5], explanation.Prediction);
    }

    [Fact]
    public async Task Bad_input_is_a_400_problem_naming_row_and_column()
    {
        var rows = new JsonArray(JsonSerializer.SerializeToNode(models.Hpc.TestRows[0]), JsonSerializer.SerializeToNode(models.Hpc.TestRows[1]));
        rows[1]!["compounds"] = "many";
        await Assertions.BadRequestAsync(
            await _client.Http.PostJsonAsync("v1/models/hpc/explain", new JsonObject { ["instances"] = rows }.ToJsonString()), "compounds", 1);
        await Assertions.BadRequestAsync(await _client.Http.PostJsonAsync("v1/models/hpc/explain", "{\"features\": "), null, null);
    }

    [Fact]
    public async Task More_rows_than_MaxExplainRows_is_a_400_problem_and_the_limit_itself_is_explained()
    {
        // Serving:Limits:MaxExplainRows is 100 by default (an explanation costs 100-350x a prediction).
        var rows = models.Credit.TestRows.Take(101).ToList<IReadOnlyDictionary<string, object?>>();
        var problem = await Assertions.BadRequestAsync(await _client.Http.PostJsonAsync("v1/models/credit/explain", JsonSerializer.Serialize(PredictRequest.Batch(rows), RegistryJson.Options)), null, null);
        Assert.Contains("more than 100 rows", problem.GetProperty("detail").GetString());

        var response = await _client.ExplainAsync("credit", PredictRequest.Batch(rows.Take(100).ToList()));
        Assert.Equal(100, response.Explanations.Count);
    }

    [Fact]
    public async Task A_bundle_without_covers_falls_back_to_ml_net_contributions_and_says_so()
    {
        var rows = models.Ames.TestRows.Take(20).ToList<IReadOnlyDictionary<string, object?>>();
        var response = await _client.ExplainAsync("ames-plain", PredictRequest.Batch(rows));

        Assert.Equal("mlnet-feature-contribution", response.Method);
        var expected = await MlNetContributionsPerColumnAsync(models.Ames, rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            var explanation = response.Explanations[i];
            Assertions.SamePrediction(models.Ames.Offline[i], explanation.Prediction);
            var score = Assert.Single(explanation.Scores);
            Assert.Null(score.BaseValue);
            Assert.Equal(explanation.Prediction.Value, score.RawScore);
            Assert.Equal(expected[i].Keys, score.Contributions.Keys);
            foreach (var (column, value) in expected[i]) Assertions.Close(value, score.Contributions[column]);
            Assert.Contains(score.Contributions.Values, v => v != 0);
        }
    }

    [Fact]
    public async Task Unknown_model_is_404_and_a_multiclass_bundle_without_covers_is_409()
    {
        var body = JsonSerializer.Serialize(new { features = models.Hpc.TestRows[0] });
        using var unknown = await _client.Http.PostJsonAsync("v1/models/nope/explain", body);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);

        using var plain = await _client.Http.PostJsonAsync("v1/models/hpc-plain/explain", body);
        var text = await plain.Content.ReadAsStringAsync();
        Assert.True(plain.StatusCode == HttpStatusCode.Conflict, $"{(int)plain.StatusCode}: {text}");
        Assert.Equal("application/problem+json", plain.Content.Headers.ContentType?.MediaType);
        Assert.Contains("covers", JsonDocument.Parse(text).RootElement.GetProperty("detail").GetString());
        // The same bundle still predicts.
        var predicted = await _client.PredictAsync("hpc-plain", PredictRequest.Single(models.Hpc.TestRows[0]));
        // A bundle from before covers and plain trees: the evaluator still scores it, on ML.NET's model, and says so.
        var info = await _client.GetModelInfoAsync("hpc-plain");
        Assert.Equal("tree-evaluator", info.Primary.Scorer);
        Assert.Contains("no trees.json", info.Primary.MlNetLoadReason);
        Assertions.SamePrediction(models.Hpc.Offline[0], predicted.Predictions[0]);
    }

    /// <summary>
    /// ML.NET's calculator run here through a batch IDataView (not the server's pooled PredictionEngine), per slot,
    /// with slots summed into their input columns by name ("Column=level" slots from the encoder's slot names).
    /// </summary>
    private static async Task<List<Dictionary<string, double>>> MlNetContributionsPerColumnAsync(TrainedModel model, int count)
    {
        using var stream = new MemoryStream(model.Bytes);
        var (manifest, modelBytes) = await ModelBundle.Packaging.ModelBundleFile.ReadAsync(stream, CancellationToken.None);
        var ml = new MLContext(seed: 0);
        var loaded = ml.Model.Load(modelBytes, out _);
        var predictor = (Microsoft.ML.ISingleFeaturePredictionTransformer<Microsoft.ML.Trainers.ICalculateFeatureContribution>)
            (loaded is Microsoft.ML.Data.TransformerChain<Microsoft.ML.ITransformer> chain ? chain.Single() : loaded);
        var encoder = new ModelBundle.Features.FeatureEncoder(manifest.Features);
        var vectors = model.TestRows.Take(count).Select(row => Encode(encoder, row)).Select(v => new FeatureRow { Features = v }).ToList();
        var data = ml.Data.LoadFromEnumerable(vectors, FeatureRow.SchemaFor(encoder.Length));
        var scored = ml.Transforms.CalculateFeatureContribution(predictor, encoder.Length, encoder.Length, normalize: false).Fit(data).Transform(data);
        var slotNames = encoder.SlotNames();
        var result = new List<Dictionary<string, double>>();
        foreach (var contributions in scored.GetColumn<float[]>("FeatureContributions"))
        {
            var perColumn = manifest.Features.ToDictionary(f => f.Name, _ => 0.0);
            for (var s = 0; s < contributions.Length; s++) perColumn[slotNames[s].Split('=')[0]] += contributions[s];
            result.Add(perColumn);
        }
        return result;
    }

    private static float[] Encode(ModelBundle.Features.FeatureEncoder encoder, Dictionary<string, object?> row)
    {
        var vector = new float[encoder.Length];
        encoder.Reset(vector);
        foreach (var (column, value) in row)
        {
            var index = encoder.IndexOf(column);
            if (encoder.Columns[index].Kind == ModelBundle.Features.FeatureKind.Numeric) encoder.SetNumeric(vector, index, (double?)value);
            else encoder.SetCategorical(vector, index, (string?)value);
        }
        return vector;
    }

    private static (double[] Raw, double[] Phi) OfflineExplain(TreeExplainer explainer, ScoringModel offline, Dictionary<string, object?> row)
    {
        var vector = Encode(offline.Encoder, row);
        var raw = new double[explainer.OutputCount];
        var phi = new double[explainer.OutputCount * explainer.PlayerCount];
        explainer.Explain(vector, raw, phi);
        return (raw, phi);
    }

    private async Task<string> WithoutCoversAsync(TrainedModel model)
    {
        using var source = new MemoryStream(model.Bytes);
        var (manifest, mlNetModel) = await ModelBundle.Packaging.ModelBundleFile.ReadAsync(source, CancellationToken.None);
        var path = Path.Combine(Path.GetTempPath(), $"explain-test-plain-{Guid.NewGuid():N}.zip");
        await using (var file = File.Create(path)) await ModelBundle.Packaging.ModelBundleFile.WriteAsync(file, manifest, mlNetModel, CancellationToken.None);
        _plainFiles.Add(path);
        return path;
    }

    private async Task AddAsync(string name, TrainedModel model, string dataset, string task, string label, string? positive)
    {
        var spec = new TrainingJobSpec("serving-tests", new DatasetRef(Path.GetFileNameWithoutExtension(dataset), 1), task, label,
            PositiveClass: positive, Split: new SplitSpec(0.2, 42));
        var folder = Environment.GetEnvironmentVariable("MLOPS_DATASETS") is { Length: > 0 } fromEnv
            ? fromEnv
            : Path.Combine(TestServices.RepoRoot(), "samples", "datasets");
        await using var csv = File.OpenRead(Path.Combine(folder, dataset));
        var data = TrainingData.Prepare(spec, await CsvTable.ReadAsync(csv, CancellationToken.None), null);
        var bundle = await TreeBundle.RewriteAsync(model.Bytes, data.Train.Select(data.Encode), CancellationToken.None);
        var path = Path.Combine(Path.GetTempPath(), $"explain-test-{Guid.NewGuid():N}.zip");
        await File.WriteAllBytesAsync(path, bundle);
        using var stream = new MemoryStream(bundle);
        var offline = await ScoringModel.LoadAsync(stream, CancellationToken.None);
        Assert.True(offline.Explainer is not null, offline.ExplainerUnavailableReason);
        _explained[name] = (model, offline, path);
    }
}
