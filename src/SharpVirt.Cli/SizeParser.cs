using System.Globalization;

namespace SharpVirt.Cli;

/// <summary>Parses sizes the way QEMU users write them: 512, 512M, 512MiB, 2G, 1T (a bare memory size means MiB).</summary>
public static class SizeParser
{
    /// <summary>A byte count: 4096, 512K, 10M, 1G (binary units; a bare number is bytes), or null with <paramref name="error"/> set.</summary>
    public static long? ParseBytes(string text, out string? error)
    {
        error = null;
        int? shift = Split(text, out var number, out var unit) ? unit switch { "" => 0, "K" => 10, "M" => 20, "G" => 30, "T" => 40, _ => null } : null;
        if (shift is null)
        {
            error = $"'{text}' is not a byte count (examples: 4096, 512K, 10M, 1G)";
            return null;
        }

        if (number > long.MaxValue >> shift.Value)
        {
            error = $"'{text}' is too large";
            return null;
        }

        return number << shift.Value;
    }

    /// <summary>Splits "512MiB" into 512 and "M" (the unit upper-cased, "iB"/"B" dropped); false when there is no number.</summary>
    private static bool Split(string text, out long number, out string unit)
    {
        var t = text.Trim();
        var split = t.Length;
        while (split > 0 && !char.IsAsciiDigit(t[split - 1]))
        {
            split--;
        }

        unit = t[split..].Trim().ToUpperInvariant().Replace("IB", "").Replace("B", "");
        return long.TryParse(t[..split], NumberStyles.None, CultureInfo.InvariantCulture, out number) && split > 0;
    }

    /// <summary>The size in MiB, or null with <paramref name="error"/> set.</summary>
    public static long? ParseMib(string text, out string? error)
    {
        error = null;
        if (!Split(text, out var number, out var unit))
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
