using System.Globalization;
using SharpVirt.Contracts;

namespace SharpVirt.Cli.Arguments;

/// <summary>
/// One option value in QEMU's key=value,key=value style (<c>--disk path=a.img,readonly=on</c>). Unknown and repeated
/// keys are errors naming the option; typed getters say which key has a bad value and what would be right.
/// </summary>
internal sealed class KeyValueArgument
{
    private readonly string _option;
    private readonly Dictionary<string, string> _values;

    private KeyValueArgument(string option, Dictionary<string, string> values)
    {
        _option = option;
        _values = values;
    }

    /// <summary>Splits <paramref name="text"/>; every key must be one of <paramref name="known"/>.</summary>
    internal static KeyValueArgument Parse(string option, string text, string example, params string[] known)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(text))
        {
            return new KeyValueArgument(option, values);
        }

        foreach (var part in text.Split(','))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new ConfigException(option, $"'{part}' is not key=value (example: {option} {example})");
            }

            var key = part[..eq];
            if (!known.Contains(key, StringComparer.Ordinal))
            {
                throw new ConfigException(option, $"unknown key '{key}' (known: {string.Join(", ", known)})");
            }

            if (!values.TryAdd(key, part[(eq + 1)..]))
            {
                throw new ConfigException(option, $"'{key}' is given twice");
            }
        }

        return new KeyValueArgument(option, values);
    }

    /// <summary>The raw value, or null if the key is absent.</summary>
    internal string? Get(string key) => _values.GetValueOrDefault(key);

    /// <summary>The value of a key that must be there and not empty.</summary>
    internal string Require(string key) =>
        _values.TryGetValue(key, out var value) && value.Length > 0 ? value : throw new ConfigException(_option, $"{key}= is missing");

    /// <summary>on/off (also true/false, yes/no); <paramref name="absent"/> when the key is not given.</summary>
    internal bool Switch(string key, bool absent) => Get(key) switch
    {
        null => absent,
        "on" or "true" or "yes" => true,
        "off" or "false" or "no" => false,
        var other => throw new ConfigException(_option, $"{key}={other}: use on or off"),
    };

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>, or null when absent.</summary>
    internal long? Number(string key, long min, long max)
    {
        if (Get(key) is not { } text)
        {
            return null;
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new ConfigException(_option, $"{key}={text}: must be a whole number from {min} to {max}");
    }

    /// <summary>A byte count such as 10M or 512K (binary units, a bare number is bytes), or null when absent.</summary>
    internal long? Bytes(string key)
    {
        if (Get(key) is not { } text)
        {
            return null;
        }

        return SizeParser.ParseBytes(text, out var error) is { } bytes && bytes > 0
            ? bytes
            : throw new ConfigException(_option, $"{key}={text}: {error ?? "must be more than 0"}");
    }

    /// <summary>A per-second limit from a bandwidth key (bytes) and an operations key, or null when neither is given.</summary>
    internal RateLimiterConfig? RateLimit(string bytesKey, string opsKey)
    {
        var bytes = Bytes(bytesKey);
        var ops = Number(opsKey, 1, long.MaxValue);
        if (bytes is null && ops is null)
        {
            return null;
        }

        return new RateLimiterConfig
        {
            Bandwidth = bytes is { } b ? new TokenBucketConfig { Size = b, RefillTime = 1000 } : null,
            Ops = ops is { } o ? new TokenBucketConfig { Size = o, RefillTime = 1000 } : null,
        };
    }
}
