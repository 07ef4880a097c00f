using System.Reflection;
using Microsoft.AspNetCore.Http.Metadata;
using MlOps.Registry.Client.Serving;
using MlOps.Serving.Api.Hosting;

namespace MlOps.Serving.Api.Predict;

/// <summary>
/// A 200 whose JSON body is already written in the scratch buffer: sent with a Content-Length in one write,
/// then the scratch goes back to its pool. Declares <see cref="PredictResponse"/> for the OpenAPI document.
/// </summary>
public sealed class PredictionResult(LoadedModel model, PredictScratch scratch) : IResult, IEndpointMetadataProvider
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        try
        {
            var response = httpContext.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/json; charset=utf-8";
            response.ContentLength = scratch.Output.WrittenCount;
            await response.Body.WriteAsync(scratch.Output.WrittenMemory, httpContext.RequestAborted);
        }
        finally
        {
            model.Return(scratch);
        }
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(PredictResponse), ["application/json"]));
}
