namespace MlOps.ServiceDefaults;

/// <summary>The name a service reports in telemetry when OTEL_SERVICE_NAME does not set one.</summary>
public static class ServiceName
{
    /// <summary>"MlOps.Registry.Api" -> "registry-api": the AppHost's resource name, so traces and metrics match either way.</summary>
    public static string FromApplicationName(string applicationName)
    {
        var name = applicationName.StartsWith("MlOps.", StringComparison.Ordinal) ? applicationName["MlOps.".Length..] : applicationName;
        return name.Replace('.', '-').ToLowerInvariant();
    }
}
