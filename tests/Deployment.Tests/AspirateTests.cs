using System.Text.RegularExpressions;
using System.Xml.Linq;
using k8s;
using k8s.Models;
using YamlDotNet.Serialization;

namespace MlOps.Deployment.Tests;

/// <summary>
/// deploy/aspirate: the base is aspirate's output plus the edits of apply-edits.py (docs/deployment.md), and
/// one image name runs through the csproj (PublishContainer), aspirate's base and the overlay's images:.
/// </summary>
public sealed partial class AspirateTests(KustomizeBuild build) : IClassFixture<KustomizeBuild>
{
    [Fact]
    public void Each_project_image_is_its_ContainerRepository_and_the_overlay_retags_it()
    {
        var overlay = OverlayImages();
        foreach (var (name, project) in AspireManifest.Load().OfType("project.v0"))
        {
            var csproj = XDocument.Load(RepoFiles.PathOf(project.GetProperty("path").GetString()!));
            var repository = csproj.Descendants("ContainerRepository").Select(e => e.Value).SingleOrDefault();
            Assert.True(repository is not null, $"{name}: no <ContainerRepository> (PublishContainer and aspirate would name the image differently)");

            // aspirate: <registry>/<prefix>/<ContainerRepository>:<tag>; aspirate.json sets no registry and no prefix.
            Assert.Equal($"{repository}:latest", ImageOf(build.Base, name));
            Assert.True(overlay.TryGetValue(repository, out var target), $"overlay images: has no entry named {repository}");
            Assert.Equal($"{target.NewName}:{target.NewTag}", ImageOf(build.Production, name));
        }

        var baseNames = Containers(build.Base).Select(c => WithoutTag(c.Image)).ToHashSet();
        Assert.All(overlay.Keys, n => Assert.True(baseNames.Contains(n), $"overlay images: entry {n} matches no image of the base"));
    }

    [Fact]
    public void Container_images_are_the_manifest_images_verbatim()
    {
        // aspirate lowercases them (MinIO's RELEASE.<date>T...Z tag would not exist); apply-edits.py restores them.
        foreach (var (name, container) in AspireManifest.Load().OfType("container.v0"))
        {
            Assert.Equal(container.GetProperty("image").GetString(), ImageOf(build.Base, name));
        }
    }

    [Fact]
    public void Aspirate_settings_are_read_where_aspirate_looks_when_run_at_the_root()
    {
        var script = RepoFiles.Read("deploy", "aspirate", "regenerate.sh");
        foreach (var option in new[] { "-m aspire-manifest.json", "-p deploy/aspirate", "--non-interactive", "--include-dashboard false",
                     "--disable-state", "--disable-secrets", "--skip-build", "--output-format kustomize", "--image-pull-policy IfNotPresent" })
        {
            Assert.Contains(option, script);
        }
        Assert.Contains("cd \"$(dirname \"${BASH_SOURCE[0]}\")/../..\"", script); // the repository root
        // aspirate reads aspirate.json from -p, and aspirate-state.json only from the current directory (not read here).
        Assert.True(File.Exists(RepoFiles.PathOf("deploy", "aspirate", "aspirate.json")));
        Assert.False(File.Exists(RepoFiles.PathOf("deploy", "aspirate", "aspirate-state.json")));

        var docs = RepoFiles.Read("docs", "deployment.md");
        Assert.Contains("bash deploy/aspirate/regenerate.sh", docs);
        Assert.DoesNotContain("cd deploy/aspirate", docs);
    }

    [Fact]
    public async Task Apply_edits_moves_every_secret_built_value_to_the_Secret_and_restores_image_case()
    {
        using var work = new TempDir();
        var (manifest, raw, output) = (Path.Combine(work.Path, "manifest.json"), Path.Combine(work.Path, "raw"), Path.Combine(work.Path, "base"));
        File.WriteAllText(manifest, """
            {"resources": {
              "api-key": {"type": "parameter.v0", "value": "{api-key.inputs.value}", "inputs": {"value": {"type": "string", "secret": true}}},
              "api-key-uri-encoded": {"type": "annotated.string", "value": "{api-key.value}", "filter": "uri"},
              "store": {"type": "container.v0", "image": "docker.io/acme/store:RELEASE.2025-01-02T03-04-05Z"},
              "app": {"type": "project.v0", "path": "App/App.csproj"}}}
            """);
        // What aspirate 9.1.0 writes with --disable-secrets and --parameter api-key=@@API_KEY@@ (its templates, verbatim).
        Write(raw, "kustomization.yaml", "resources:\n- store\n- app\n\ngeneratorOptions:\n  disableNameSuffixHash: true\n\n\n");
        Write(raw, "app/kustomization.yaml", Kustomization("app", "PLAIN=1", "Models__0__Name=m", "KEY=@@API_KEY@@",
            "URI=http://u:{api-key-uri-encoded.value}@store:80", "ASPNETCORE_URLS=http://+:8080;"));
        Write(raw, "app/deployment.yaml", Deployment("app", "mlops/app:latest"));
        Write(raw, "store/kustomization.yaml", Kustomization("store", "STORE_KEY=@@API_KEY@@"));
        Write(raw, "store/deployment.yaml", Deployment("store", "docker.io/acme/store:release.2025-01-02t03-04-05z"));
        Write(output, "store/.store.secrets", "STORE_KEY=kept");
        Write(output, "gone/deployment.yaml", "stale");

        await KustomizeBuild.RunAsync("python3", [RepoFiles.PathOf("deploy", "aspirate", "apply-edits.py"), manifest, raw, output]);

        Assert.Equal("KEY=${API_KEY}\nURI=http://u:${API_KEY}@store:80\n", File.ReadAllText(Path.Combine(output, "app", "app.secrets.example")));
        var app = File.ReadAllText(Path.Combine(output, "app", "kustomization.yaml"));
        Assert.Contains("    - PLAIN=1\n    - Models__0__Name=m\n    - ASPNETCORE_URLS=http://+:8080;\n", app);
        Assert.DoesNotContain("KEY=", app);
        Assert.Contains("secretGenerator:\n- name: app-secrets\n  envs:\n  - .app.secrets\n", app);
        var appEnv = Assert.Single(Workload(output, "app").Spec.Template.Spec.Containers).EnvFrom;
        Assert.Equal(["app-env", "app-secrets"], appEnv.Select(e => e.ConfigMapRef?.Name ?? e.SecretRef.Name));

        var store = Assert.Single(Workload(output, "store").Spec.Template.Spec.Containers);
        Assert.Equal("docker.io/acme/store:RELEASE.2025-01-02T03-04-05Z", store.Image);
        Assert.Equal("store-secrets", Assert.Single(store.EnvFrom).SecretRef.Name);
        Assert.DoesNotContain("configMapGenerator", File.ReadAllText(Path.Combine(output, "store", "kustomization.yaml")));
        Assert.Equal("STORE_KEY=kept", File.ReadAllText(Path.Combine(output, "store", ".store.secrets"))); // a user's secrets survive
        Assert.False(Directory.Exists(Path.Combine(output, "gone")));
        Assert.StartsWith("# Generated: aspirate generate", File.ReadAllText(Path.Combine(output, "kustomization.yaml")));
    }

    private static Dictionary<string, (string NewName, string NewTag)> OverlayImages()
    {
        var overlay = new DeserializerBuilder().Build().Deserialize<Dictionary<string, object>>(
            RepoFiles.Read("deploy", "k8s", "overlays", "production", "kustomization.yaml"));
        return ((List<object>)overlay["images"]).Cast<Dictionary<object, object>>()
            .ToDictionary(i => (string)i["name"], i => ((string)i["newName"], (string)i["newTag"]));
    }

    private static IEnumerable<V1Container> Containers(IEnumerable<object> objects) =>
        KustomizeBuild.Of<V1Deployment>(objects).SelectMany(d => d.Spec.Template.Spec.Containers)
            .Concat(KustomizeBuild.Of<V1StatefulSet>(objects).SelectMany(s => s.Spec.Template.Spec.Containers));

    private static string ImageOf(IEnumerable<object> objects, string name) => Assert.Single(Containers(objects), c => c.Name == name).Image;

    private static string WithoutTag(string image) => TagSuffix().Replace(image, "");

    [GeneratedRegex(@":[^:/]+$")]
    private static partial Regex TagSuffix();

    private static V1Deployment Workload(string dir, string name) =>
        KubernetesYaml.Deserialize<V1Deployment>(File.ReadAllText(Path.Combine(dir, name, "deployment.yaml")));

    private static string Kustomization(string name, params string[] literals) =>
        "resources:\n- deployment.yaml\n\ngeneratorOptions:\n  disableNameSuffixHash: true\n\n"
        + $"configMapGenerator:\n- name: {name}-env\n  literals:\n" + string.Concat(literals.Select(l => $"    - {l}\n")) + "\n";

    private static string Deployment(string name, string image) => $"""
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {name}
        spec:
          template:
            spec:
              containers:
              - name: {name}
                image: {image}
                imagePullPolicy: IfNotPresent
                envFrom:
                - configMapRef:
                    name: {name}-env
              terminationGracePeriodSeconds: 180
        """;

    private static void Write(string dir, string relative, string text)
    {
        var path = Path.Combine(dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private sealed class TempDir : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("mlops-aspirate-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
