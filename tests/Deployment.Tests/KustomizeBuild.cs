using System.Diagnostics;
using k8s;
using k8s.Models;

namespace MlOps.Deployment.Tests;

/// <summary>
/// Builds deploy/k8s with the real kubectl (kustomize is built in; no cluster needed) from a copy of the
/// folder whose git-ignored secret env files were made by deploy/k8s/generate-secrets.sh, as a user would.
/// </summary>
public sealed class KustomizeBuild : IAsyncLifetime, IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("mlops-k8s-").FullName;

    public IReadOnlyList<object> Base { get; private set; } = [];

    public IReadOnlyList<object> Production { get; private set; } = [];

    public string ProductionYaml { get; private set; } = "";

    public async Task InitializeAsync()
    {
        CopyDirectory(RepoFiles.PathOf("deploy", "k8s"), _work);
        await RunAsync("bash", [Path.Combine(_work, "generate-secrets.sh"), "--force", _work]);
        Base = KubernetesYaml.LoadAllFromString(await RunAsync("kubectl", ["kustomize", Path.Combine(_work, "base")]));
        ProductionYaml = await RunAsync("kubectl", ["kustomize", Path.Combine(_work, "overlays", "production")]);
        Production = KubernetesYaml.LoadAllFromString(ProductionYaml);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    public static IEnumerable<T> Of<T>(IEnumerable<object> objects) => objects.OfType<T>();

    public static T Named<T>(IEnumerable<object> objects, string name) where T : IMetadata<V1ObjectMeta> =>
        Assert.Single(objects.OfType<T>(), o => o.Metadata.Name == name);

    internal static async Task<string> RunAsync(string file, string[] args)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        args.ToList().ForEach(start.ArgumentList.Add);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"'{file}' is required for the deployment tests (kubectl: its built-in kustomize builds offline)", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}: {await stderr}");
            }
            return await stdout;
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        }
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            // Leave out a developer's own generated secrets: the build must work from committed files only.
            if (!Path.GetFileName(file).EndsWith(".secrets", StringComparison.Ordinal))
            {
                File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
            }
        }
    }
}
