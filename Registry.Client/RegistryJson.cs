using System.Text.Json;
using System.Text.Json.Serialization;
using MlOps.Registry.Client.Json;

namespace MlOps.Registry.Client;

/// <summary>The JSON settings of the registry API (ASP.NET Core's web defaults: camelCase, case-insensitive reads).</summary>
public static class RegistryJson
{
    /// <summary>Reading answers and stored documents: tolerant, so a newer registry's extra fields do not break a client.</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Reading what a user wrote (request bodies, job spec files): an unknown field, a number sent as a string, a
    /// missing required field, a null where a value is required, or text PostgreSQL cannot store (U+0000, a lone
    /// surrogate) is a <see cref="JsonException"/> with the path; <see cref="JsonProblem"/> words it for a 400.
    /// </summary>
    public static readonly JsonSerializerOptions Strict = MakeStrict(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    /// <summary>Applies the <see cref="Strict"/> rules to <paramref name="options"/> (e.g. ASP.NET Core's HTTP JSON options).</summary>
    public static JsonSerializerOptions MakeStrict(JsonSerializerOptions options)
    {
        // Web defaults read "300" as 300: a typo'd type would silently train something else.
        options.NumberHandling = JsonNumberHandling.Strict;
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        options.RespectNullableAnnotations = true;
        options.RespectRequiredConstructorParameters = true;
        options.AllowTrailingCommas = false;
        options.ReadCommentHandling = JsonCommentHandling.Disallow;
        options.MaxDepth = JsonProblem.MaxDepth;
        options.Converters.Add(new StorableStringConverter());
        return options;
    }
}
