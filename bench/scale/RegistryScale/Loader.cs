using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;

namespace MlOps.Bench.Scale;

/// <summary>
/// Bulk-loads realistic runs straight into the registry's own tables (after the registry applied its migrations)
/// with binary COPY: a few experiments of uneven size, 6 params and 3 tags per run, 4 metric keys logged for
/// <c>stepsPerKey</c> steps in 50-step batches (one metric_chunks row per key and batch, as MetricWriter writes them),
/// latest_metrics as MetricWriter upserts it, and a few "huge" runs whose train/loss holds <c>hugePoints</c> steps
/// logged in 1000-step batches (a long training that logs every step). Deterministic (seeded).
/// </summary>
public static class Loader
{
    public static readonly string[] Experiments = ["scale-credit", "scale-churn", "scale-ames", "scale-hpc", "scale-sweep"];
    private static readonly double[] ExperimentShare = [0.40, 0.25, 0.15, 0.12, 0.08];
    public static readonly string[] Keys = ["train/loss", "valid/loss", "valid/auc", "lr"];
    private const int ChunkSteps = 50;
    private const int HugeChunkSteps = 1000;

    public static async Task<int> RunAsync(string cs, int runs, int stepsPerKey, int hugeRuns, int hugePoints)
    {
        var clock = Stopwatch.StartNew();
        await using var dataSource = NpgsqlDataSource.Create(cs);
        await using var conn = await dataSource.OpenConnectionAsync();
        var rnd = new Random(42);
        var end = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        var span = TimeSpan.FromDays(365);

        var experimentIds = Experiments.Select(_ => Guid.CreateVersion7(end - span)).ToArray();
        await using (var w = await conn.BeginBinaryImportAsync("COPY experiments (id, name, description, tags_json, created_at) FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = 0; i < Experiments.Length; i++)
            {
                await w.StartRowAsync();
                await w.WriteAsync(experimentIds[i], NpgsqlDbType.Uuid);
                await w.WriteAsync(Experiments[i], NpgsqlDbType.Text);
                await w.WriteNullAsync();
                await w.WriteAsync("{}", NpgsqlDbType.Jsonb);
                await w.WriteAsync(end - span, NpgsqlDbType.TimestampTz);
            }
            await w.CompleteAsync();
        }

        // Runs spread over a year, in start order (ids are UUIDv7 of the start time, as the registry makes them).
        var ids = new Guid[runs];
        var starts = new DateTimeOffset[runs];
        var experimentOf = new int[runs];
        var huge = new HashSet<int>(Enumerable.Range(0, hugeRuns).Select(h => (int)((h + 0.5) * runs / Math.Max(1, hugeRuns))));
        await using (var w = await conn.BeginBinaryImportAsync("COPY runs (id, experiment_id, name, parent_run_id, status, started_at, ended_at) FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = 0; i < runs; i++)
            {
                starts[i] = end - span + span * ((double)i / runs);
                ids[i] = Guid.CreateVersion7(starts[i]);
                experimentOf[i] = Pick(rnd, ExperimentShare);
                var u = rnd.NextDouble();
                var status = i >= runs - 20 ? "running" : u < 0.90 ? "finished" : u < 0.96 ? "failed" : "killed";
                await w.StartRowAsync();
                await w.WriteAsync(ids[i], NpgsqlDbType.Uuid);
                await w.WriteAsync(experimentIds[experimentOf[i]], NpgsqlDbType.Uuid);
                await w.WriteAsync($"run-{i}", NpgsqlDbType.Text);
                await w.WriteNullAsync();
                await w.WriteAsync(status, NpgsqlDbType.Text);
                await w.WriteAsync(starts[i], NpgsqlDbType.TimestampTz);
                if (status == "running")
                {
                    await w.WriteNullAsync();
                }
                else
                {
                    await w.WriteAsync(starts[i] + TimeSpan.FromSeconds(30 + rnd.Next(3600)), NpgsqlDbType.TimestampTz);
                }
            }
            await w.CompleteAsync();
        }
        Console.WriteLine($"load: {runs:N0} runs in {Experiments.Length} experiments ({clock.Elapsed.TotalSeconds:F1} s)");

        string[] lrs = ["0.01", "0.05", "0.1", "0.2"];
        await using (var w = await conn.BeginBinaryImportAsync("COPY run_params (run_id, key, value) FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = 0; i < runs; i++)
            {
                await Kv(w, ids[i], "learningRate", lrs[rnd.Next(lrs.Length)]);
                await Kv(w, ids[i], "numberOfLeaves", (7 + rnd.Next(57)).ToString());
                await Kv(w, ids[i], "numberOfTrees", (100 * (1 + rnd.Next(10))).ToString());
                await Kv(w, ids[i], "featureFraction", (0.5 + rnd.Next(6) * 0.1).ToString("0.0"));
                await Kv(w, ids[i], "dataset.name", Experiments[experimentOf[i]]["scale-".Length..]);
                await Kv(w, ids[i], "dataset.version", (1 + rnd.Next(12)).ToString());
            }
            await w.CompleteAsync();
        }
        await using (var w = await conn.BeginBinaryImportAsync("COPY run_tags (run_id, key, value) FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = 0; i < runs; i++)
            {
                await Kv(w, ids[i], "gate.decision", rnd.NextDouble() < 0.05 ? "promoted" : "not-promoted");
                await Kv(w, ids[i], "mlops.source", rnd.NextDouble() < 0.7 ? "job" : "sdk");
                await Kv(w, ids[i], "mlops.user", $"user-{rnd.Next(20)}");
            }
            await w.CompleteAsync();
        }
        Console.WriteLine($"load: {runs * 6:N0} params, {runs * 3:N0} tags ({clock.Elapsed.TotalSeconds:F1} s)");

        // Metric history: curves with noise; each run converges to its own level so search filters/sorts discriminate.
        long points = 0, chunks = 0;
        var latest = new (double Value, long Step, DateTime Ts)[runs, Keys.Length];
        await using (var w = await conn.BeginBinaryImportAsync("COPY metric_chunks (run_id, key, steps, values, timestamps, min_step, max_step) FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = 0; i < runs; i++)
            {
                var quality = rnd.NextDouble();
                for (var k = 0; k < Keys.Length; k++)
                {
                    var isHuge = k == 0 && huge.Contains(i);
                    var steps = isHuge ? hugePoints : stepsPerKey;
                    var chunk = isHuge ? HugeChunkSteps : ChunkSteps;
                    for (var s0 = 0; s0 < steps; s0 += chunk)
                    {
                        var n = Math.Min(chunk, steps - s0);
                        var st = new long[n];
                        var va = new double[n];
                        var ts = new DateTime[n];
                        for (var j = 0; j < n; j++)
                        {
                            long step = s0 + j;
                            st[j] = step;
                            va[j] = Value(k, step, steps, quality, rnd);
                            ts[j] = (starts[i] + TimeSpan.FromMilliseconds(step * 250.0)).UtcDateTime;
                        }
                        await w.StartRowAsync();
                        await w.WriteAsync(ids[i], NpgsqlDbType.Uuid);
                        await w.WriteAsync(Keys[k], NpgsqlDbType.Text);
                        await w.WriteAsync(st, NpgsqlDbType.Array | NpgsqlDbType.Bigint);
                        await w.WriteAsync(va, NpgsqlDbType.Array | NpgsqlDbType.Double);
                        await w.WriteAsync(ts, NpgsqlDbType.Array | NpgsqlDbType.TimestampTz);
                        await w.WriteAsync(st[0], NpgsqlDbType.Bigint);
                        await w.WriteAsync(st[n - 1], NpgsqlDbType.Bigint);
                        points += n;
                        chunks++;
                        latest[i, k] = (va[n - 1], st[n - 1], ts[n - 1]);
                    }
                }
                if (i % 10_000 == 9_999)
                {
                    Console.WriteLine($"load: metric_chunks {points:N0} points in {chunks:N0} rows, {i + 1:N0} runs ({clock.Elapsed.TotalSeconds:F1} s)");
                }
            }
            await w.CompleteAsync();
        }
        await using (var w = await conn.BeginBinaryImportAsync("COPY latest_metrics (run_id, key, value, step, timestamp) FROM STDIN (FORMAT BINARY)"))
        {
            for (var i = 0; i < runs; i++)
            {
                for (var k = 0; k < Keys.Length; k++)
                {
                    await w.StartRowAsync();
                    await w.WriteAsync(ids[i], NpgsqlDbType.Uuid);
                    await w.WriteAsync(Keys[k], NpgsqlDbType.Text);
                    await w.WriteAsync(latest[i, k].Value, NpgsqlDbType.Double);
                    await w.WriteAsync(latest[i, k].Step, NpgsqlDbType.Bigint);
                    await w.WriteAsync(latest[i, k].Ts, NpgsqlDbType.TimestampTz);
                }
            }
            await w.CompleteAsync();
        }
        Console.WriteLine($"load: {points:N0} metric points in {chunks:N0} metric_chunks rows, {runs * Keys.Length:N0} latest_metrics rows ({clock.Elapsed.TotalSeconds:F1} s)");

        // What autovacuum would have done by then: statistics for the planner, visibility map for index-only scans.
        await using (var cmd = new NpgsqlCommand("VACUUM (ANALYZE) experiments, runs, run_params, run_tags, latest_metrics, metric_chunks", conn) { CommandTimeout = 0 })
        {
            await cmd.ExecuteNonQueryAsync();
        }
        Console.WriteLine($"load: done, VACUUM ANALYZE included ({clock.Elapsed.TotalSeconds:F1} s total)");
        return 0;
    }

    private static async Task Kv(NpgsqlBinaryImporter w, Guid run, string key, string value)
    {
        await w.StartRowAsync();
        await w.WriteAsync(run, NpgsqlDbType.Uuid);
        await w.WriteAsync(key, NpgsqlDbType.Text);
        await w.WriteAsync(value, NpgsqlDbType.Text);
    }

    private static int Pick(Random rnd, double[] shares)
    {
        var u = rnd.NextDouble();
        for (var i = 0; i < shares.Length - 1; i++)
        {
            if ((u -= shares[i]) < 0)
            {
                return i;
            }
        }
        return shares.Length - 1;
    }

    private static double Value(int key, long step, int steps, double quality, Random rnd)
    {
        var t = (double)step / Math.Max(1, steps - 1);
        var noise = (rnd.NextDouble() - 0.5) * 0.02;
        return key switch
        {
            0 => 0.2 + 0.5 * quality + 0.8 * Math.Exp(-5 * t) + noise,
            1 => 0.25 + 0.5 * quality + 0.7 * Math.Exp(-4 * t) + noise,
            2 => 0.5 + (0.45 - 0.3 * quality) * (1 - Math.Exp(-5 * t)) + noise,
            _ => 0.1 * Math.Pow(0.5, Math.Floor(t * 4)),
        };
    }
}
