namespace MlOps.AppHost.Dashboard;

/// <summary>Named links on each service in the dashboard: its API reference, OpenAPI document, metrics and health.</summary>
public static class ResourceUrls
{
    public static IResourceBuilder<ProjectResource> WithServiceUrls(this IResourceBuilder<ProjectResource> project, bool hasApiReference)
    {
        var http = project.GetEndpoint("http");
        project.WithUrlForEndpoint("http", url => url.DisplayText = "Base URL");
        if (hasApiReference)
        {
            project
                .WithUrl(ReferenceExpression.Create($"{http}/scalar"), "API reference")
                .WithUrl(ReferenceExpression.Create($"{http}/openapi/v1.json"), "OpenAPI document");
        }
        return project
            .WithUrl(ReferenceExpression.Create($"{http}/metrics"), "Metrics (Prometheus)")
            .WithUrl(ReferenceExpression.Create($"{http}/health"), "Health");
    }
}
