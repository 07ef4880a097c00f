using System.Text.Json;
using System.Text.Json.Serialization;

namespace MlOps.Registry.Client.Serving;

// Open Inference Protocol V2 (KServe "v2" REST): https://kserve.github.io/website/latest/modelserving/data_plane/v2_protocol/
// Member names follow that spec (snake_case where it uses it).

/// <summary><c>GET /v2/health/live</c>.</summary>
public sealed record V2LiveResponse(bool Live);

/// <summary><c>GET /v2/health/ready</c> and <c>GET /v2/models/{name}/ready</c>.</summary>
public sealed record V2ReadyResponse(bool Ready);

/// <summary>A named tensor's description in model metadata. <see cref="Datatype"/>: <c>FP64</c>, <c>BYTES</c>...</summary>
public sealed record V2TensorMetadata(string Name, string Datatype, IReadOnlyList<long> Shape);

/// <summary><c>GET /v2/models/{name}</c>. Inputs: one 1-D tensor per input column (-1: any row count).</summary>
public sealed record V2ModelMetadata(
    string Name,
    IReadOnlyList<string> Versions,
    string Platform,
    IReadOnlyList<V2TensorMetadata> Inputs,
    IReadOnlyList<V2TensorMetadata> Outputs);

/// <summary>
/// An input or output tensor. Inputs here are one per column, shape <c>[rows]</c> (or <c>[rows, 1]</c>), data flat
/// in row order: numbers for <c>FP32/FP64/INT*</c>, strings for <c>BYTES</c>, null for a missing value.
/// </summary>
public sealed record V2Tensor(
    string Name,
    IReadOnlyList<long> Shape,
    string Datatype,
    JsonElement Data,
    IReadOnlyDictionary<string, JsonElement>? Parameters = null);

/// <summary><c>POST /v2/models/{name}/infer</c>.</summary>
public sealed record V2InferRequest(
    IReadOnlyList<V2Tensor> Inputs,
    string? Id = null,
    IReadOnlyDictionary<string, JsonElement>? Parameters = null,
    IReadOnlyList<V2RequestedOutput>? Outputs = null);

public sealed record V2RequestedOutput(string Name);

/// <summary>Answer of an infer call. Outputs: <c>predict</c> (value or label) and, for classifiers, <c>probability</c> (of the
/// predicted label) and <c>probability_{class}</c> per class (binary: the positive class's is what auc and log_loss score).</summary>
public sealed record V2InferResponse(
    [property: JsonPropertyName("model_name")] string ModelName,
    [property: JsonPropertyName("model_version")] string ModelVersion,
    IReadOnlyList<V2Tensor> Outputs,
    string? Id = null);

public static class V2Datatypes
{
    public const string Bytes = "BYTES";
    public const string Fp32 = "FP32";
    public const string Fp64 = "FP64";
    public const string Int64 = "INT64";
    public const string Int32 = "INT32";
}
