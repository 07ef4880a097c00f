namespace MlOps.Serving.Api.Tests.Infrastructure;

/// <summary>Shares the trained models (training takes a few seconds) across every test class.</summary>
[CollectionDefinition(Name)]
public sealed class ServingCollection : ICollectionFixture<TrainedModels>
{
    public const string Name = "serving";
}
