namespace MlOps.Bench.Scale;

/// <summary>
/// CPU seconds used by the registry process, by PostgreSQL (postmaster and its children: the backends serving the
/// registry's pooled connections) and by the whole machine, from /proc: says which side bounds a throughput run and
/// how much the other engineers on the shared machine used meanwhile.
/// </summary>
public sealed class CpuMeter(int registryPid, int postmasterPid)
{
    private static readonly double Tick = 100.0; // USER_HZ on Linux

    public record Sample(double Registry, double Postgres, double Client, double MachineBusy, DateTime At);

    public Sample Take() => new(ProcessSeconds(registryPid), PostgresSeconds(), ProcessSeconds(Environment.ProcessId), MachineSeconds(), DateTime.UtcNow);

    public static string Describe(Sample a, Sample b)
    {
        var wall = (b.At - a.At).TotalSeconds;
        var reg = (b.Registry - a.Registry) / wall;
        var pg = (b.Postgres - a.Postgres) / wall;
        var client = (b.Client - a.Client) / wall;
        var busy = (b.MachineBusy - a.MachineBusy) / wall;
        return $"cores busy: registry {reg:F2}, postgres {pg:F2}, this client {client:F2}, everything else {Math.Max(0, busy - reg - pg - client):F2} (of {Environment.ProcessorCount})";
    }

    private static double ProcessSeconds(int pid, bool withReapedChildren = false)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // utime, stime (fields 14, 15); cutime, cstime (16, 17)
            return (long.Parse(f[11]) + long.Parse(f[12]) + (withReapedChildren ? long.Parse(f[13]) + long.Parse(f[14]) : 0)) / Tick;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private double PostgresSeconds()
    {
        // The postmaster's own time plus what its exited children used (cutime, cstime: parallel workers and
        // autovacuum come and go), plus its live children's.
        var total = ProcessSeconds(postmasterPid, withReapedChildren: true);
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }
            try
            {
                var stat = File.ReadAllText($"{dir}/stat");
                var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (int.Parse(f[1]) == postmasterPid)
                {
                    total += (long.Parse(f[11]) + long.Parse(f[12])) / Tick;
                }
            }
            catch (IOException)
            {
            }
        }
        return total;
    }

    private static double MachineSeconds()
    {
        var f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..].Select(long.Parse).ToArray();
        // user nice system idle iowait irq softirq steal
        return (f.Take(8).Sum() - f[3] - f[4]) / Tick;
    }
}
