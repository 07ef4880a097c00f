namespace MlOps.Registry.Api.Auth;

/// <summary>Roles nest: an admin key also holds trainer and reader, a trainer key also holds reader.</summary>
public static class Roles
{
    public const string Reader = "reader";
    public const string Trainer = "trainer";
    public const string Admin = "admin";

    public static IReadOnlyList<string> Implied(string role) => role switch
    {
        Admin => [Admin, Trainer, Reader],
        Trainer => [Trainer, Reader],
        _ => [Reader],
    };
}

/// <summary>Authorization policy names used by the route groups.</summary>
public static class Policies
{
    /// <summary>Reader role, or anyone when <c>Auth:AnonymousReads</c> is true.</summary>
    public const string Read = "read";
    public const string Train = "train";
    public const string Admin = "admin";
}
