namespace MlOps.Bench.Registry;

/// <summary>Samples another process's resident set (VmRSS) from /proc every 50 ms and keeps the peak.</summary>
public sealed class RssSampler : IAsyncDisposable
{
    private readonly int pid;
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;
    private long peakKb;

    public RssSampler(int pid)
    {
        this.pid = pid;
        loop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var kb = ReadKb("VmRSS");
                if (kb > Interlocked.Read(ref peakKb))
                {
                    Interlocked.Exchange(ref peakKb, kb);
                }
                try
                {
                    await Task.Delay(50, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        });
    }

    public long PeakMb => Interlocked.Read(ref peakKb) / 1024;

    public long CurrentMb => ReadKb("VmRSS") / 1024;

    public long ReadKb(string field)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
            }
        }
        return 0;
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await loop;
        stop.Dispose();
    }
}
