using Scalar.AspNetCore;
using MlOps.Registry.Api.Auth;
using MlOps.Registry.Api.Datasets;
using MlOps.Registry.Api.Experiments;
using MlOps.Registry.Api.Infrastructure;
using MlOps.Registry.Api.Jobs;
using MlOps.Registry.Api.Models;
using MlOps.Registry.Api.PredictionLogs;
using MlOps.Registry.Api.Runs;
using MlOps.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseHeadAsGet();
app.UseMiddleware<RequestTextMiddleware>();
app.UseRouting();
app.UseMiddleware<BodyLimitMiddleware>();
app.UseAuthentication();
app.UseAuthorization();

app.MapDefaultEndpoints();
app.MapOpenApi();
app.MapScalarApiReference(o => { o.DefaultFonts = false; o.Telemetry = false; }); // /scalar: reference of /openapi/v1.json, nothing from a CDN
app.MapWhoAmIApi();
app.MapExperimentsApi();
var limits = app.Services.GetRequiredService<BodyLimitOptions>();
app.MapRunsApi(limits);
app.MapDatasetsApi(limits);
app.MapModelsApi(limits);
app.MapAliasesApi();
app.MapJobsApi();
app.MapPredictionLogsApi(app.Services.GetRequiredService<PredictionLogOptions>());

app.Run();

public partial class Program;
