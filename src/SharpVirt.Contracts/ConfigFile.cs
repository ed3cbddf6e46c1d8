using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

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
    public static VmConfig Parse(string json, string source) => Parse(json, source, ContractsJsonContext.Default.VmConfig);

    /// <summary>
    /// Parses one contract record strictly (an API body, a config file); errors name the JSON path after
    /// <paramref name="source"/>.
    /// </summary>
    public static T Parse<T>(string json, string source, JsonTypeInfo<T> type)
        where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(json, type)
                ?? throw new ConfigException(source.Length == 0 ? "body" : source, "null is not an object");
        }
        catch (JsonException e)
        {
            // An API body (no source) names the bare JSON field: "vcpu_count", "drives[1].serial".
            var path = e.Path is { Length: > 0 } p ? p : null;
            var bare = path?.TrimStart('$').TrimStart('.');
            var field = source.Length == 0 ? (string.IsNullOrEmpty(bare) ? "body" : bare)
                : path is null ? source : $"{source}: {path}";
            throw new ConfigException(field, Reason(e, bare));
        }
    }

    private static string Reason(JsonException e, string? path)
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

        if (message.StartsWith("The JSON value could not be converted to ", StringComparison.Ordinal))
        {
            // System.Text.Json names the value's type for numbers and booleans, but the enclosing record for strings
            // and enums: then the field's name says what was expected.
            var type = message["The JSON value could not be converted to ".Length..].Split(' ')[0].TrimEnd('.');
            var name = path?.Split('.')[^1];
            return "wrong type: expected " + (type.StartsWith("SharpVirt.Contracts.", StringComparison.Ordinal) && name is not null
                ? ExpectedFor(name, type) : Expected(type));
        }

        // System.Text.Json messages end with "Path: ... | LineNumber: ..."; keep the first sentence.
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }

    private static string ExpectedFor(string field, string record) => field switch
    {
        "on_reboot" => "\"restart\" or \"exit\"",
        "action" when record.EndsWith(".VmStateChange", StringComparison.Ordinal)
            => "one of \"start\", \"stop\", \"force_stop\", \"pause\", \"resume\"",
        "restart_policy" => "\"no\", \"on-failure\" or \"always\"",
        "action" => "one of \"start\", \"pause\", \"resume\", \"flush\", \"stop\"",
        "state" => "\"Paused\" or \"Resumed\"",
        "boot-source" or "machine-config" or "config" or "balloon" or "vsock" or "console" or "entropy" or "rate_limiter"
            or "rx_rate_limiter" or "tx_rate_limiter" or "bandwidth" or "ops" => "an object",
        _ when field.EndsWith(']') => "an object",
        "drives" or "network-interfaces" => "an array",
        _ => "a string",
    };

    private static string Expected(string clrType) => clrType switch
    {
        "System.Int32" or "System.Int64" or "System.UInt32" or "System.UInt64" => "an integer",
        "System.Boolean" => "true or false",
        "System.String" => "a string",
        _ when clrType.StartsWith("System.Collections", StringComparison.Ordinal) => "an array",
        _ => clrType,
    };
}
