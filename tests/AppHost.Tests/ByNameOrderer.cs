using Xunit.Abstractions;
using Xunit.Sdk;

namespace MlOps.AppHost.Tests;

/// <summary>Runs a class's tests in name order: the F5 tests share one running app and the last one stops it.</summary>
public sealed class ByNameOrderer : ITestCaseOrderer
{
    public const string TypeName = "MlOps.AppHost.Tests.ByNameOrderer";
    public const string AssemblyName = "MlOps.AppHost.Tests";

    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases) where TTestCase : ITestCase =>
        testCases.OrderBy(t => t.TestMethod.Method.Name, StringComparer.Ordinal);
}
