using System.Globalization;

namespace SharpVirt.Cli;

/// <summary>Parses sizes the way QEMU users write them: 512, 512M, 512MiB, 2G, 1T (a bare number means MiB).</summary>
public static class SizeParser
{
    /// <summary>The size in MiB, or null with <paramref name="error"/> set.</summary>
    public static long? ParseMib(string text, out string? error)
    {
        error = null;
        var t = text.Trim();
        var split = t.Length;
        while (split > 0 && !char.IsAsciiDigit(t[split - 1]))
        {
            split--;
        }

        var unit = t[split..].Trim().ToUpperInvariant().Replace("IB", "").Replace("B", "");
        if (split == 0 || !long.TryParse(t[..split], NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            error = $"'{text}' is not a size (examples: 512M, 2G)";
            return null;
        }

        long? factor = unit switch
        {
            "" or "M" => 1,
            "G" => 1024,
            "T" => 1024 * 1024,
            "K" when number % 1024 == 0 => -1024,
            _ => null,
        };
        if (factor is null)
        {
            error = $"'{text}': unknown or too small unit (use M, G or T)";
            return null;
        }

        try
        {
            return factor < 0 ? number / -factor.Value : checked(number * factor.Value);
        }
        catch (OverflowException)
        {
            error = $"'{text}' is too large";
            return null;
        }
    }
}
