using System.Globalization;

namespace MlOps.Training.Worker.Telemetry;

/// <summary>
/// What this worker is doing now, for its health description: idle, or which job, attempt, model, phase and how
/// far (trial of a sweep, planned boosting iterations, rows and features). One job at a time per worker.
/// </summary>
public sealed class JobProgress(TimeProvider clock)
{
    private readonly Lock _gate = new();
    private Snapshot? _current;
    private int _finished;

    private sealed record Snapshot(Guid JobId, int Attempt, string? Model, DateTimeOffset Started, string Phase, DateTimeOffset PhaseStarted, string? Detail);

    public void Started(Guid jobId, int attempt, string? model)
    {
        var now = clock.GetUtcNow();
        lock (_gate) _current = new Snapshot(jobId, attempt, model, now, "leased", now, null);
    }

    /// <summary>Enters a phase (e.g. "training"), with what it works on ("trial 2/4: 300 iterations on 2344 rows x 80 features").</summary>
    public void Phase(string phase, string? detail = null)
    {
        var now = clock.GetUtcNow();
        lock (_gate)
        {
            if (_current is { } current) _current = current with { Phase = phase, PhaseStarted = now, Detail = detail };
        }
    }

    public void Finished()
    {
        lock (_gate)
        {
            _current = null;
            _finished++;
        }
    }

    public bool IsBusy
    {
        get { lock (_gate) return _current is not null; }
    }

    public string Describe()
    {
        Snapshot? current;
        int finished;
        lock (_gate) (current, finished) = (_current, _finished);
        if (current is null) return $"Idle: waiting for a job ({finished} handled since start).";
        var now = clock.GetUtcNow();
        var model = current.Model is null ? "" : $" for model {current.Model}";
        var detail = current.Detail is null ? "" : $": {current.Detail}";
        return string.Create(CultureInfo.InvariantCulture,
            $"Job {current.JobId} (attempt {current.Attempt}){model}: {current.Phase}{detail}, {(now - current.PhaseStarted).TotalSeconds:F0} s in this phase, {(now - current.Started).TotalSeconds:F0} s in the job.");
    }
}
