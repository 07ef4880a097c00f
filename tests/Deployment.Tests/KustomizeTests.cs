using System.Text;
using System.Text.RegularExpressions;
using k8s.Models;

namespace MlOps.Deployment.Tests;

/// <summary>deploy/k8s: the aspirate-shaped base agrees with the manifest; the production overlay adds what aspirate leaves out.</summary>
public sealed partial class KustomizeTests(KustomizeBuild build) : IClassFixture<KustomizeBuild>
{
    private static readonly string[] Services = ["registry-api", "training-worker", "serving-api", "studio"];

    [Fact]
    public void Production_builds_offline_into_typed_kubernetes_objects()
    {
        var kinds = build.Production.GroupBy(o => o.GetType()).ToDictionary(g => g.Key, g => g.Count());

        Assert.Equal(5, kinds[typeof(V1Deployment)]); // minio + the three services + studio
        Assert.Equal(1, kinds[typeof(V1StatefulSet)]); // postgres
        Assert.Equal(6, kinds[typeof(V1Service)]);
        Assert.Equal(5, kinds[typeof(V1Secret)]); // studio has no secret: users sign in with their own keys
        Assert.Equal(5, kinds[typeof(V1ConfigMap)]);
        Assert.Equal(3, kinds[typeof(V1PodDisruptionBudget)]);
        Assert.Equal(1, kinds[typeof(V2HorizontalPodAutoscaler)]);
        Assert.Equal(2, kinds[typeof(V1Ingress)]); // serving-api and studio: the external endpoints
        Assert.All(build.Production.Cast<IMetadata<V1ObjectMeta>>().Where(o => o is not V1Namespace),
            o => Assert.Equal("mlops", o.Metadata.NamespaceProperty));
    }

    [Fact]
    public void Every_workload_has_both_probes_and_resources()
    {
        var pods = KustomizeBuild.Of<V1Deployment>(build.Production).Select(d => (d.Metadata.Name, d.Spec.Template.Spec))
            .Concat(KustomizeBuild.Of<V1StatefulSet>(build.Production).Select(s => (s.Metadata.Name, s.Spec.Template.Spec)));
        foreach (var (name, pod) in pods)
        {
            foreach (var container in pod.Containers)
            {
                Assert.True(container.ReadinessProbe is not null, $"{name}: no readiness probe");
                Assert.True(container.LivenessProbe is not null, $"{name}: no liveness probe");
                foreach (var quantities in new[] { container.Resources?.Requests, container.Resources?.Limits })
                {
                    Assert.True(quantities is not null && quantities.ContainsKey("cpu") && quantities.ContainsKey("memory"), $"{name}: cpu/memory requests and limits");
                }
            }
        }
    }

    [Theory]
    [InlineData("registry-api")]
    [InlineData("training-worker")]
    [InlineData("serving-api")]
    public void Services_probe_the_ServiceDefaults_endpoints_and_are_scraped(string name)
    {
        var deployment = KustomizeBuild.Named<V1Deployment>(build.Production, name);
        var container = Assert.Single(deployment.Spec.Template.Spec.Containers);
        var http = Assert.Single(container.Ports, p => p.Name == "http");

        Assert.Equal("/health", container.ReadinessProbe.HttpGet.Path);
        Assert.Equal("/alive", container.LivenessProbe.HttpGet.Path);
        Assert.Equal("http", container.ReadinessProbe.HttpGet.Port.Value);
        Assert.Equal("http", container.LivenessProbe.HttpGet.Port.Value);
        Assert.True(deployment.Spec.Replicas >= 2, $"{name}: {deployment.Spec.Replicas} replicas");
        Assert.Equal("RollingUpdate", deployment.Spec.Strategy.Type);

        var annotations = deployment.Spec.Template.Metadata.Annotations;
        Assert.Equal("true", annotations["prometheus.io/scrape"]);
        Assert.Equal("/metrics", annotations["prometheus.io/path"]);
        Assert.Equal(http.ContainerPort.ToString(), annotations["prometheus.io/port"]);
        Assert.DoesNotContain(":latest", container.Image);

        var service = KustomizeBuild.Named<V1Service>(build.Production, name);
        Assert.Equal(http.ContainerPort.ToString(), Assert.Single(service.Spec.Ports).TargetPort.Value);
    }

    [Fact]
    public void Serving_api_autoscales_the_external_endpoints_have_ingresses_and_replicas_survive_disruptions()
    {
        var hpa = Assert.Single(KustomizeBuild.Of<V2HorizontalPodAutoscaler>(build.Production));
        Assert.Equal(("Deployment", "serving-api"), (hpa.Spec.ScaleTargetRef.Kind, hpa.Spec.ScaleTargetRef.Name));
        Assert.True(hpa.Spec.MinReplicas >= 2 && hpa.Spec.MaxReplicas > hpa.Spec.MinReplicas);

        // Each external endpoint of the manifest (serving-api, studio) has an Ingress onto its Service's port.
        foreach (var ingress in KustomizeBuild.Of<V1Ingress>(build.Production))
        {
            var backend = Assert.Single(ingress.Spec.Rules).Http.Paths.Single().Backend.Service;
            Assert.Equal(ingress.Metadata.Name, backend.Name);
            Assert.Contains(KustomizeBuild.Named<V1Service>(build.Production, backend.Name).Spec.Ports, p => p.Name == backend.Port.Name);
        }
        Assert.Equal(["serving-api", "studio"], KustomizeBuild.Of<V1Ingress>(build.Production).Select(i => i.Metadata.Name).Order());

        var deploymentLabels = KustomizeBuild.Of<V1Deployment>(build.Production).Select(d => d.Spec.Template.Metadata.Labels).ToList();
        foreach (var pdb in KustomizeBuild.Of<V1PodDisruptionBudget>(build.Production))
        {
            Assert.Contains(deploymentLabels, labels => pdb.Spec.Selector.MatchLabels.All(kv => labels.TryGetValue(kv.Key, out var v) && v == kv.Value));
        }
        Assert.Contains(KustomizeBuild.Of<V1PodDisruptionBudget>(build.Production), p => p.Metadata.Name == "serving-api" && p.Spec.MinAvailable?.Value == "1");
    }

    [Fact]
    public void Secret_values_never_land_in_config_maps_and_each_secret_is_shared_consistently()
    {
        foreach (var map in KustomizeBuild.Of<V1ConfigMap>(build.Production))
        {
            foreach (var (key, value) in map.Data)
            {
                Assert.DoesNotMatch(SecretName(), key);
                Assert.DoesNotMatch(CredentialInValue(), value);
            }
        }
        var secrets = KustomizeBuild.Of<V1Secret>(build.Production)
            .ToDictionary(s => s.Metadata.Name, s => s.Data.ToDictionary(kv => kv.Key, kv => Encoding.UTF8.GetString(kv.Value)));
        Assert.All(secrets.Values.SelectMany(d => d.Values), v => Assert.False(string.IsNullOrWhiteSpace(v) || v.Contains("${"), $"unfilled secret '{v}'"));

        var registry = secrets["registry-api-secrets"];
        Assert.Equal(registry["Auth__Keys__Trainer"], secrets["training-worker-secrets"]["Registry__ApiKey"]);
        Assert.Equal(registry["Auth__Keys__Trainer"], secrets["serving-api-secrets"]["Registry__ApiKey"]); // uploads prediction logs
        Assert.Equal(registry["REGISTRYDB_PASSWORD"], secrets["postgres-secrets"]["POSTGRES_PASSWORD"]);
        Assert.Equal(registry["MINIO_ACCESSKEY"], secrets["minio-secrets"]["MINIO_ROOT_USER"]);
        Assert.Equal(registry["MINIO_SECRETKEY"], secrets["minio-secrets"]["MINIO_ROOT_PASSWORD"]);
        Assert.Contains($"Password={registry["REGISTRYDB_PASSWORD"]};", registry["ConnectionStrings__registrydb"]);
        Assert.EndsWith($"AccessKey={registry["MINIO_ACCESSKEY"]};SecretKey={registry["MINIO_SECRETKEY"]}", registry["ConnectionStrings__minio"]);
        Assert.Equal(3, new[] { registry["Auth__Keys__Admin"], registry["Auth__Keys__Trainer"], registry["Auth__Keys__Reader"] }.Distinct().Count());
    }

    [Fact]
    public void Base_env_is_the_manifest_env_with_bindings_resolved_as_aspirate_does()
    {
        var manifest = AspireManifest.Load();
        foreach (var (name, resource) in manifest.All.Where(r => r.Resource.GetProperty("type").GetString() is "project.v0" or "container.v0"))
        {
            var pod = KustomizeBuild.Of<V1Deployment>(build.Base).Where(d => d.Metadata.Name == name).Select(d => d.Spec.Template.Spec)
                .Concat(KustomizeBuild.Of<V1StatefulSet>(build.Base).Where(s => s.Metadata.Name == name).Select(s => s.Spec.Template.Spec))
                .Single();
            var sources = Assert.Single(pod.Containers).EnvFrom;
            var config = sources.Where(s => s.ConfigMapRef is not null)
                .SelectMany(s => KustomizeBuild.Named<V1ConfigMap>(build.Base, s.ConfigMapRef.Name).Data).ToDictionary();
            var secret = sources.Where(s => s.SecretRef is not null)
                .SelectMany(s => KustomizeBuild.Named<V1Secret>(build.Base, s.SecretRef.Name).Data.Keys).ToHashSet();

            var env = manifest.Env(name);
            var expected = resource.GetProperty("type").GetString() == "project.v0" ? env.Keys.Append("ASPNETCORE_URLS") : env.Keys;
            Assert.Equal(expected.Order(), config.Keys.Concat(secret).Order());
            foreach (var (key, value) in env.Where(kv => config.ContainsKey(kv.Key)))
            {
                Assert.Equal(Resolve(manifest, value), config[key]);
            }
        }
    }

    /// <summary>aspirate's rules: host = resource name, http bindings without a target port listen on 8080.</summary>
    private static string Resolve(AspireManifest manifest, string value) => ManifestReference().Replace(value, m =>
    {
        var (resource, binding, property) = (m.Groups[1].Value, m.Groups[2].Value, m.Groups[3].Value);
        var b = manifest[resource].GetProperty("bindings").GetProperty(binding);
        var port = b.TryGetProperty("targetPort", out var p) ? p.GetInt32() : 8080;
        return property switch
        {
            "host" => resource,
            "port" or "targetPort" => port.ToString(),
            "url" => $"{b.GetProperty("scheme").GetString()}://{resource}:{port}",
            _ => throw new InvalidOperationException($"{m.Value} is not a plain value"),
        };
    });

    [GeneratedRegex(@"\{([a-z0-9-]+)\.bindings\.([a-z0-9-]+)\.([A-Za-z]+)\}")]
    private static partial Regex ManifestReference();

    [GeneratedRegex("PASSWORD|SECRETKEY|ACCESSKEY|ApiKey|^Auth__Keys__|^ConnectionStrings__|ROOT_USER", RegexOptions.IgnoreCase)]
    private static partial Regex SecretName();

    [GeneratedRegex("(?:Password|SecretKey|AccessKey|ApiKey)=|://[^/:@]+:[^/@]+@", RegexOptions.IgnoreCase)]
    private static partial Regex CredentialInValue();
}
