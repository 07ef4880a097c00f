namespace MlOps.Registry.Api.Storage;

/// <summary>The S3 endpoint parsed from <c>ConnectionStrings:minio</c> plus <c>Storage:*</c> settings.</summary>
public sealed class StorageOptions
{
    public string Endpoint { get; set; } = "";
    public string AccessKey { get; set; } = "";
    public string SecretKey { get; set; } = "";
    public string Bucket { get; set; } = "mlops";
    /// <summary>Multipart part size: the most the registry holds in memory per upload.</summary>
    public int PartSizeBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>Parses the CommunityToolkit MinIO form <c>Endpoint=http://host:port;AccessKey=...;SecretKey=...</c>.</summary>
    public static StorageOptions Parse(string? connectionString, string? bucket)
    {
        var options = new StorageOptions();
        foreach (var part in (connectionString ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0)
            {
                continue;
            }
            var value = part[(eq + 1)..];
            switch (part[..eq].Trim().ToLowerInvariant())
            {
                case "endpoint": options.Endpoint = value; break;
                case "accesskey": options.AccessKey = value; break;
                case "secretkey": options.SecretKey = value; break;
            }
        }
        if (!string.IsNullOrWhiteSpace(bucket))
        {
            options.Bucket = bucket;
        }
        return options;
    }
}
