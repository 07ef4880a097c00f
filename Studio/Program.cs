using MlOps.ServiceDefaults;
using MlOps.Studio.Auth;
using MlOps.Studio.Components;
using MlOps.Studio.Downloads;
using MlOps.Studio.Infrastructure;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();
app.UseExceptionHandler("/error", createScopeForErrors: true);
app.UseStatusCodePagesWithReExecute("/not-found");
app.UseAntiforgery();

app.MapDefaultEndpoints();
app.MapStaticAssets();
app.MapSessionApi();
app.MapDownloadsApi();
app.MapRazorComponents<App>();

app.Run();

public partial class Program;
