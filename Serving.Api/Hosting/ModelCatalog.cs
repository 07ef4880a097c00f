using Microsoft.Extensions.Options;

namespace MlOps.Serving.Api.Hosting;

/// <summary>The configured models by name; the first is the default for <c>/predict</c>.</summary>
public sealed class ModelCatalog
{
    private readonly Dictionary<string, ServedModel> _byName;

    public ModelCatalog(IOptions<ServingOptions> options)
    {
        Models = options.Value.Models.Select(m => new ServedModel(m)).ToArray();
        _byName = new Dictionary<string, ServedModel>(StringComparer.Ordinal);
        foreach (var model in Models)
        {
            if (string.IsNullOrWhiteSpace(model.Name)) throw new InvalidOperationException("Serving:Models entries need a Name.");
            if (!_byName.TryAdd(model.Name, model)) throw new InvalidOperationException($"Model '{model.Name}' is configured twice.");
        }
    }

    public IReadOnlyList<ServedModel> Models { get; }

    public ServedModel? Default => Models.Count > 0 ? Models[0] : null;

    public ServedModel? Find(string name) => _byName.GetValueOrDefault(name);

    public bool AllLoaded => Models.All(m => m.IsLoaded);
}
