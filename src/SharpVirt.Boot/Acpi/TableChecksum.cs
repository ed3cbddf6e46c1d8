namespace SharpVirt.Boot.Acpi;

/// <summary>The 8-bit checksum shared by ACPI and MP tables: all bytes of a table, checksum included, sum to zero.</summary>
internal static class TableChecksum
{
    /// <summary>The byte that makes <paramref name="data"/> sum to zero when stored in a checksum field that is zero now.</summary>
    public static byte Compute(ReadOnlySpan<byte> data)
    {
        byte sum = 0;
        foreach (var b in data)
        {
            sum = unchecked((byte)(sum + b));
        }

        return unchecked((byte)-sum);
    }

    /// <summary>Clears <paramref name="data"/>[<paramref name="offset"/>] and stores the checksum of all of <paramref name="data"/> there.</summary>
    public static void Store(Span<byte> data, int offset)
    {
        data[offset] = 0;
        data[offset] = Compute(data);
    }
}
