using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Jobs;
using MlOps.Training.Worker.Jobs;

namespace MlOps.Training.Worker.Bootstrap;

/// <summary>
/// First start (<c>Worker:Bootstrap:*</c>): uploads the sample dataset and submits the sample job. The dataset
/// upload is idempotent by content and the job goes in with an idempotency key derived from the dataset's and
/// the spec's bytes, so any number of replicas queue it once. Retries until the registry answers.
/// </summary>
public sealed class BootstrapSubmitter(RegistryClient registry, IOptions<WorkerOptions> options, ILogger<BootstrapSubmitter> logger)
{
    public async Task RunAsync(CancellationToken ct)
    {
        var settings = options.Value.Bootstrap;
        if (!settings.Enabled) return;
        var delay = TimeSpan.FromSeconds(1);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var job = await SubmitAsync(settings, ct);
                logger.LogInformation("Bootstrap: sample job {JobId} ({Status}) on dataset {Dataset}", job.Id, job.Status, settings.DatasetName);
                return;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or Registry.Client.Problems.RegistryApiException)
            {
                logger.LogWarning("Bootstrap: registry not ready ({Error}); retrying in {Delay}", e.Message, delay);
            }
            catch (Exception e) when (e is IOException or JsonException)
            {
                logger.LogError(e, "Bootstrap: cannot read {Dataset} or {Spec}; skipped", settings.DatasetPath, settings.SpecPath);
                return;
            }
            try
            {
                await Task.Delay(delay, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            delay = TimeSpan.FromSeconds(Math.Min(15, delay.TotalSeconds * 2));
        }
    }

    private async Task<TrainingJob> SubmitAsync(BootstrapOptions settings, CancellationToken ct)
    {
        // One trace for the upload and the submission, rather than two anonymous HTTP roots.
        using var activity = Telemetry.TrainingTelemetry.Source.StartActivity("training.bootstrap");
        activity?.SetTag("mlops.dataset.name", settings.DatasetName);
        var specBytes = await File.ReadAllBytesAsync(settings.SpecPath!, ct);
        var spec = JobSpecFile.Parse(specBytes, settings.SpecPath!);
        Registry.Client.Datasets.DatasetUploadResult upload;
        await using (var csv = File.OpenRead(settings.DatasetPath!))
        {
            upload = await registry.UploadDatasetAsync(settings.DatasetName!, csv, "Sample dataset uploaded by the training worker's bootstrap", ct);
        }
        spec = spec with { Dataset = new DatasetRef(settings.DatasetName!, upload.Version.Version) };
        var key = "bootstrap:" + settings.DatasetName + ":" + Convert.ToHexStringLower(SHA256.HashData(
            Encoding.UTF8.GetBytes(upload.Version.Sha256 + "\n").Concat(specBytes).ToArray()))[..32];
        return await registry.SubmitJobAsync(spec, key, ct);
    }
}
