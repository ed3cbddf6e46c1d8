using System.Globalization;

namespace SharpVirt.Vmm.Migration;

/// <summary>Where a migration goes or is received: <c>tcp:HOST:PORT</c> (HOST a name, an IPv4 address or [IPv6]).</summary>
public sealed record MigrationAddress(string Host, int Port)
{
    /// <summary>
    /// Parses <paramref name="text"/>; null with the reason in <paramref name="error"/> when it is not one. Port 0 (the
    /// kernel picks one) is allowed only for <paramref name="listening"/>.
    /// </summary>
    public static MigrationAddress? TryParse(string? text, out string? error, bool listening = false)
    {
        error = null;
        if (string.IsNullOrWhiteSpace(text) || !text.StartsWith("tcp:", StringComparison.Ordinal))
        {
            error = $"'{text}' is not an address of the form tcp:HOST:PORT";
            return null;
        }

        var rest = text[4..];
        var colon = rest.LastIndexOf(':');
        var host = colon < 0 ? rest : rest[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        if (host.Length == 0)
        {
            error = $"'{text}' has no host (tcp:HOST:PORT)";
            return null;
        }

        var lowest = listening ? 0 : 1;
        if (colon < 0 || !int.TryParse(rest[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port < lowest || port > 65535)
        {
            error = $"'{text}' has no port from {lowest} to 65535 (tcp:HOST:PORT)";
            return null;
        }

        return new MigrationAddress(host, port);
    }

    /// <inheritdoc />
    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"tcp:[{Host}]:{Port}" : $"tcp:{Host}:{Port}";
}
