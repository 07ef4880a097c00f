namespace MlOps.Training.Worker.Jobs;

/// <summary>Configuration section <c>Worker</c>.</summary>
public sealed class WorkerOptions
{
    public const string Section = "Worker";

    /// <summary>Lease owner name; default <c>host:pid:random</c> (the pid lets operators find the process).</summary>
    public string? Name { get; set; }

    /// <summary>Lease length asked for; heartbeats renew it every third of it.</summary>
    public int LeaseSeconds { get; set; } = 60;

    /// <summary>How long one lease request waits on the registry for a job (long-poll, 0-30).</summary>
    public int PollSeconds { get; set; } = 10;

    /// <summary>LightGBM threads: fixed, since another count can change the model's last bits.</summary>
    public int Threads { get; set; } = Training.LightGbmSettings.DefaultThreads;

    /// <summary>On shutdown, a job whose model is trained is still registered and completed within this time; else released.</summary>
    public int FinishGraceSeconds { get; set; } = 20;

    public BootstrapOptions Bootstrap { get; set; } = new();

    public TimeSpan HeartbeatInterval => TimeSpan.FromSeconds(Math.Max(1, LeaseSeconds / 3.0));
}

/// <summary><c>Worker:Bootstrap</c>: a sample dataset and job submitted on first start (skipped unless all three are set).</summary>
public sealed class BootstrapOptions
{
    public string? DatasetPath { get; set; }
    public string? DatasetName { get; set; }
    public string? SpecPath { get; set; }

    public bool Enabled => !string.IsNullOrWhiteSpace(DatasetPath) && !string.IsNullOrWhiteSpace(DatasetName) && !string.IsNullOrWhiteSpace(SpecPath);
}
