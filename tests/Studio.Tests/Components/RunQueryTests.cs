extern alias studio;
using MlOps.Registry.Client.Runs;
using studio::MlOps.Studio.Runs;

namespace MlOps.Studio.Tests.Components;

public sealed class RunQueryTests
{
    [Fact]
    public void Parses_mlflow_style_clauses_into_registry_filters()
    {
        var (query, error) = RunQuery.Parse("metrics.auc > 0.8 and params.task = 'binary' AND tags.gate.decision != \"not-promoted\" and status = 'finished'");
        Assert.Null(error);
        Assert.Equal([new RunFilter("metric", "auc", ">", "0.8"), new RunFilter("param", "task", "=", "binary"), new RunFilter("tag", "gate.decision", "!=", "not-promoted")], query!.Filters);
        Assert.Equal("finished", query.Status);
    }

    [Fact]
    public void Backticks_and_quotes_may_hold_spaces_and_the_word_and()
    {
        var (query, error) = RunQuery.Parse("metrics.`valid/rmse` <= 3 and params.note = 'salt and pepper'");
        Assert.Null(error);
        Assert.Equal([new RunFilter("metric", "valid/rmse", "<=", "3"), new RunFilter("param", "note", "=", "salt and pepper")], query!.Filters);
    }

    [Theory]
    [InlineData("auc > 0.8")]
    [InlineData("metrics.auc ~ 3")]
    [InlineData("metrics > 3")]
    [InlineData("status > 'x'")]
    public void Unreadable_clauses_are_an_error_not_a_guess(string text)
    {
        var (query, error) = RunQuery.Parse(text);
        Assert.Null(query);
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void Empty_box_means_no_filter_and_sort_keys_round_trip()
    {
        Assert.Empty(RunQuery.Parse("  ").Query!.Filters);
        Assert.Equal(new RunOrder("metric", "valid/rmse", false), RunQuery.ParseSort("metric:valid/rmse", false));
        Assert.Null(RunQuery.ParseSort("nonsense", true));
    }
}
