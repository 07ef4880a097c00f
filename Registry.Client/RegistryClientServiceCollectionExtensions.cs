using System.Net.Http.Headers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;

namespace MlOps.Registry.Client;

public static class RegistryClientServiceCollectionExtensions
{
    public const string BaseAddressKey = "Registry:BaseAddress";
    public const string ApiKeyKey = "Registry:ApiKey";
    public const string DefaultBaseAddress = "https+http://registry-api";

    /// <summary>
    /// Registers <see cref="RegistryClient"/> as a typed HttpClient: base address from <c>Registry:BaseAddress</c>
    /// (default <c>https+http://registry-api</c>, resolved by service discovery when the host adds it), bearer key
    /// from <c>Registry:ApiKey</c>.
    /// </summary>
    public static IHttpClientBuilder AddRegistryClient(this IServiceCollection services, IConfiguration configuration)
    {
        var builder = services.AddHttpClient<RegistryClient>(http =>
        {
            var baseAddress = configuration[BaseAddressKey];
            http.BaseAddress = new Uri(EnsureTrailingSlash(string.IsNullOrWhiteSpace(baseAddress) ? DefaultBaseAddress : baseAddress));
            if (configuration[ApiKeyKey] is { Length: > 0 } key)
            {
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            }
            // Long-polls, big uploads and downloads: callers bound them with their CancellationToken instead.
            http.Timeout = Timeout.InfiniteTimeSpan;
        });
#pragma warning disable EXTEXP0001 // experimental API: the default handler's 10 s attempt timeout and retries would cut
        // long-polls and replay consumed upload streams; the worker and serving loops retry on their own.
        builder.RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        return builder;
    }

    private static string EnsureTrailingSlash(string url) => url.EndsWith('/') ? url : url + "/";
}
