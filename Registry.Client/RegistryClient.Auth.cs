using MlOps.Registry.Client.Auth;

namespace MlOps.Registry.Client;

public sealed partial class RegistryClient
{
    /// <summary>The role of the key this client sends; throws with 401 when the key is unknown.</summary>
    public Task<KeyInfo> WhoAmIAsync(CancellationToken ct = default) =>
        SendAsync<KeyInfo>(HttpMethod.Get, "auth/whoami", null, ct);
}
