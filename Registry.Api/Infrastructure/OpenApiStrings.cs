using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace MlOps.Registry.Api.Infrastructure;

/// <summary>
/// The strict JSON options read strings through <see cref="MlOps.Registry.Client.Json.StorableStringConverter"/>, which
/// hides their type from the schema generator ({} instead of "string"): put it back, with null where the contract
/// allows it, so the OpenAPI document still says what each field takes (the adversarial suite is generated from it).
/// </summary>
public static class OpenApiStrings
{
    public static OpenApiOptions DescribeStrings(this OpenApiOptions options) => options.AddSchemaTransformer((schema, context, _) =>
    {
        if (context.JsonTypeInfo.Type == typeof(string))
        {
            schema.Type = JsonSchemaType.String | (context.JsonPropertyInfo?.IsSetNullable == true ? JsonSchemaType.Null : 0);
        }
        return Task.CompletedTask;
    });
}
