using MlOps.ServiceDefaults;
using MlOps.Serving.Api.Extensions;
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
app.MapDefaultEndpoints();
app.MapPredictApi();
app.MapInferenceV2Api();
app.Run();

public partial class Program;
