namespace MlOps.Registry.Api.Tests;

/// <summary>One registry (fresh database and bucket) shared by the tests of a class; tests use unique names.</summary>
public sealed class RegistryFixture : RegistryApiFactory;
