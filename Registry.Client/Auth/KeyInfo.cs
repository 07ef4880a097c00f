namespace MlOps.Registry.Client.Auth;

/// <summary>
/// What the calling key is (<c>GET /api/v1/auth/whoami</c>): its role (<c>reader</c>, <c>trainer</c>, <c>admin</c>,
/// or <c>anonymous</c> when anonymous reads are on and no key was sent) and every role it holds (roles nest).
/// </summary>
public sealed record KeyInfo(string Role, IReadOnlyList<string> Roles)
{
    public bool CanRead => Roles.Contains("reader") || Role == "anonymous";
    public bool CanTrain => Roles.Contains("trainer");
    public bool CanAdmin => Roles.Contains("admin");
}
