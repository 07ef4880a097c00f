using System.Text.Json;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Jobs;
using MlOps.TestInfrastructure;

namespace MlOps.Training.Worker.Tests;

/// <summary>The checked-in sample datasets and job specs (samples/ at the repository root).</summary>
public static class Samples
{
    public static readonly string Root = TestServices.RepoRoot();

    public static string Dataset(string name) => Path.Combine(Root, "samples", "datasets", name + ".csv");

    public static TrainingJobSpec Spec(string file) =>
        MlOps.Training.Worker.Jobs.JobSpecFile.Parse(File.ReadAllBytes(Path.Combine(Root, "samples", "jobs", file)), file)
        ?? throw new InvalidDataException(file);

    public static TrainingJobSpec Ames => Spec("ames_housing.regression.json");
    public static TrainingJobSpec Credit => Spec("credit_scoring.binary.json");
    public static TrainingJobSpec Hpc => Spec("hpc_data.multiclass.json");
}
