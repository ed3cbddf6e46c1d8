using System.Text.RegularExpressions;

namespace SharpVirt.TestUtils;

/// <summary>The operations an OpenAPI document kept in the repository lists, to compare with the routes a server maps.</summary>
public static partial class OpenApiOperations
{
    /// <summary>"METHOD /path" for each operation under paths: (two-space path keys, four-space method keys), sorted.</summary>
    public static string[] Of(string yaml)
    {
        var result = new List<string>();
        string? path = null;
        foreach (var line in yaml.Split('\n'))
        {
            if (PathLine().Match(line) is { Success: true } p)
            {
                path = p.Groups[1].Value;
            }
            else if (path is not null && MethodLine().Match(line) is { Success: true } m)
            {
                result.Add($"{m.Groups[1].Value.ToUpperInvariant()} {path}");
            }
            else if (line.StartsWith("components:", StringComparison.Ordinal))
            {
                break;
            }
        }

        return [.. result.Order(StringComparer.Ordinal)];
    }

    [GeneratedRegex(@"^  (/\S*):\s*$")]
    private static partial Regex PathLine();

    [GeneratedRegex(@"^    (get|put|patch|post|delete):\s*$")]
    private static partial Regex MethodLine();
}
