using System.Text.Json;

namespace SharpVirt.Contracts;

/// <summary>Reads a VM config file strictly: unknown fields, wrong types and missing fields are errors naming the JSON path.</summary>
public static class ConfigFile
{
    /// <summary>Loads and parses <paramref name="path"/>.</summary>
    public static VmConfig Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException("--config", $"cannot read {path}: {e.Message}");
        }

        return Parse(text, path);
    }

    /// <summary>Parses config JSON; <paramref name="source"/> names it in errors.</summary>
    public static VmConfig Parse(string json, string source)
    {
        try
        {
            return JsonSerializer.Deserialize(json, ContractsJsonContext.Default.VmConfig)
                ?? throw new ConfigException(source, "the file holds null, not a VM config object");
        }
        catch (JsonException e)
        {
            var field = string.IsNullOrEmpty(e.Path) ? source : $"{source}: {e.Path}";
            throw new ConfigException(field, Reason(e));
        }
    }

    private static string Reason(JsonException e)
    {
        var message = e.Message;
        if (message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal))
        {
            return "unknown field";
        }

        if (message.Contains("missing required properties", StringComparison.Ordinal))
        {
            var start = message.IndexOf(':', StringComparison.Ordinal);
            return "missing required field" + (start >= 0 ? message[start..].Split('.')[0] : "");
        }

        // System.Text.Json messages end with "Path: ... | LineNumber: ..."; keep the first sentence.
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}
