using Scalar.AspNetCore;
using MlOps.ServiceDefaults;
using MlOps.Serving.Api.Explain;
using MlOps.Serving.Api.Extensions;
using MlOps.Serving.Api.Feedback;
using MlOps.Serving.Api.InferenceV2;
using MlOps.Serving.Api.Predict;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseRequestPipeline();
app.MapOpenApi();
app.MapScalarApiReference(o => { o.DefaultFonts = false; o.Telemetry = false; }); // /scalar: reference of /openapi/v1.json, nothing from a CDN
app.MapDefaultEndpoints();
app.MapPredictApi();
app.MapInferenceV2Api();
app.MapFeedbackApi();
app.MapExplainApi();
app.Run();

public partial class Program;
