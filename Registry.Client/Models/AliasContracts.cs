namespace MlOps.Registry.Client.Models;

/// <summary>Body of <c>PUT /api/v1/models/{name}/aliases/{alias}</c> (admin role): promote or roll back.</summary>
public sealed record SetAliasRequest(int Version, string? Reason = null);

public sealed record ModelAlias(
    string Model,
    string Alias,
    int Version,
    DateTimeOffset UpdatedAt,
    string UpdatedBy);

/// <summary>One append-only audit entry of an alias. <see cref="PreviousVersion"/> null: the alias was created.</summary>
public sealed record AliasHistoryEntry(
    string Alias,
    int Version,
    int? PreviousVersion,
    string Actor,
    string? Reason,
    DateTimeOffset At);

public static class WellKnownAliases
{
    public const string Production = "production";
    public const string Staging = "staging";
}
