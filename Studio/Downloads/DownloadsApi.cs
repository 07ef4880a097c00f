using System.Net;
using MlOps.Registry.Client;
using MlOps.Registry.Client.Problems;

namespace MlOps.Studio.Downloads;

/// <summary>
/// Artifact and dataset downloads pass through Studio: the browser never holds the API key, so it cannot
/// call the registry itself. Bytes are streamed, never buffered.
/// </summary>
public static class DownloadsApi
{
    public static IEndpointRouteBuilder MapDownloadsApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/download/models/{name}/{version:int}", (string name, int version, RegistryClient registry, HttpContext context, CancellationToken ct) =>
            StreamAsync(() => registry.OpenArtifactAsync(name, version, ct: ct), $"{name}-v{version}.zip", "application/zip", context, ct));
        routes.MapGet("/download/datasets/{name}/{version:int}", (string name, int version, RegistryClient registry, HttpContext context, CancellationToken ct) =>
            StreamAsync(() => registry.OpenDatasetContentAsync(name, version, ct), $"{name}-v{version}.csv", "text/csv", context, ct));
        return routes;
    }

    private static async Task<IResult> StreamAsync(Func<Task<RegistryDownload>> open, string fileName, string contentType, HttpContext context, CancellationToken ct)
    {
        RegistryDownload download;
        try
        {
            download = await open();
        }
        catch (RegistryApiException e)
        {
            var status = e.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.NotFound
                ? (int)e.StatusCode : StatusCodes.Status502BadGateway;
            return TypedResults.Problem(e.Problem?.Detail ?? "The registry refused the download.", statusCode: status);
        }
        context.Response.RegisterForDisposeAsync(download);
        if (download.Length is { } length)
        {
            context.Response.ContentLength = length;
        }
        return TypedResults.Stream(download.Content, contentType, fileName);
    }
}
