using System.Text.RegularExpressions;
using MlOps.Registry.Client.Runs;

namespace MlOps.Studio.Runs;

/// <summary>
/// The runs table's filter box, in MLflow's search syntax, translated to the registry's search filters:
/// <c>metrics.auc &gt; 0.8 and params.numberOfLeaves = '15' and tags.gate.decision != 'rejected' and status = 'finished'</c>.
/// Keys holding spaces or operators go in backticks (<c>metrics.`valid/rmse` &lt; 3</c>). Clauses are AND-ed, as in the API.
/// </summary>
public static partial class RunQuery
{
    public sealed record Parsed(IReadOnlyList<RunFilter> Filters, string? Status);

    [GeneratedRegex("""^\s*(?<kind>metrics?|params?|tags?|attributes?\.status|status)(\.(`(?<qkey>[^`]+)`|(?<key>[^\s=!<>]+)))?\s*(?<op>!=|>=|<=|=|>|<)\s*('(?<sv>[^']*)'|"(?<dv>[^"]*)"|(?<bv>[^\s'"]+))\s*$""", RegexOptions.IgnoreCase)]
    private static partial Regex Clause();

    [GeneratedRegex(@"\s+and\s+", RegexOptions.IgnoreCase)]
    private static partial Regex And();

    /// <summary>Parses the box; an error message names the clause that is wrong.</summary>
    public static (Parsed? Query, string? Error) Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return (new Parsed([], null), null);
        }
        var filters = new List<RunFilter>();
        string? status = null;
        foreach (var clause in SplitClauses(text))
        {
            var m = Clause().Match(clause);
            if (!m.Success)
            {
                return (null, $"Cannot read \"{clause.Trim()}\": write kind.key op value, e.g. metrics.auc > 0.8 or params.task = 'binary'.");
            }
            var kind = m.Groups["kind"].Value.ToLowerInvariant();
            var key = m.Groups["qkey"].Success ? m.Groups["qkey"].Value : m.Groups["key"].Value;
            var op = m.Groups["op"].Value;
            var value = m.Groups["sv"].Success ? m.Groups["sv"].Value : m.Groups["dv"].Success ? m.Groups["dv"].Value : m.Groups["bv"].Value;
            if (kind is "status" or "attribute.status" or "attributes.status")
            {
                if (op != "=" || key.Length > 0)
                {
                    return (null, "status only supports =, e.g. status = 'finished'.");
                }
                status = value.ToLowerInvariant();
                continue;
            }
            if (key.Length == 0)
            {
                return (null, $"\"{clause.Trim()}\" needs a key, e.g. {kind}.name.");
            }
            filters.Add(new RunFilter(kind.TrimEnd('s') switch { "metric" => RunFilterKinds.Metric, "param" => RunFilterKinds.Param, _ => RunFilterKinds.Tag }, key, op, value));
        }
        return (new Parsed(filters, status), null);
    }

    /// <summary>Splits on "and" outside quotes and backticks.</summary>
    private static IEnumerable<string> SplitClauses(string text)
    {
        var start = 0;
        char? quote = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quote is { } q)
            {
                if (c == q)
                {
                    quote = null;
                }
                continue;
            }
            if (c is '\'' or '"' or '`')
            {
                quote = c;
                continue;
            }
            var m = And().Match(text, i);
            if (m.Success && m.Index == i)
            {
                yield return text[start..i];
                start = i + m.Length;
                i = start - 1;
            }
        }
        yield return text[start..];
    }

    /// <summary>Sort key in URLs: <c>kind:key</c> (e.g. <c>metric:auc</c>, <c>attribute:startedAt</c>).</summary>
    public static RunOrder? ParseSort(string? sort, bool descending)
    {
        if (string.IsNullOrEmpty(sort) || sort.IndexOf(':') is var i && i <= 0)
        {
            return null;
        }
        return new RunOrder(sort[..i], sort[(i + 1)..], descending);
    }
}
