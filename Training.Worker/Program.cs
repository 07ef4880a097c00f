using MlOps.ServiceDefaults;
using MlOps.Training.Worker.Infrastructure;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();

public partial class Program;
