namespace SharpVirt.Boot;

/// <summary>e820 memory types as Linux reads them from boot_params.</summary>
public enum E820Type : uint
{
    /// <summary>Usable RAM.</summary>
    Ram = 1,
    /// <summary>Reserved (firmware, ACPI tables area, holes).</summary>
    Reserved = 2,
}

/// <summary>One e820 entry.</summary>
public readonly record struct E820Entry(ulong Address, ulong Size, E820Type Type);

/// <summary>Guest physical layout of RAM for a given memory size, around the 32-bit MMIO hole.</summary>
public static class GuestRamLayout
{
    /// <summary>The RAM ranges for <paramref name="memoryBytes"/> of guest memory: below the hole, then from 4 GiB.</summary>
    public static IReadOnlyList<(ulong Start, ulong Size)> Ranges(ulong memoryBytes)
    {
        var low = Math.Min(memoryBytes, X64Layout.MmioHoleStart);
        return memoryBytes <= X64Layout.MmioHoleStart
            ? [(0UL, low)]
            : [(0UL, low), (X64Layout.MmioHoleEnd, memoryBytes - low)];
    }

    /// <summary>The e820 map Linux sees: low RAM up to the EBDA, the BIOS area reserved, then RAM from 1 MiB.</summary>
    public static IReadOnlyList<E820Entry> E820Map(ulong memoryBytes)
    {
        var ranges = Ranges(memoryBytes);
        var map = new List<E820Entry>
        {
            new(0, X64Layout.EbdaStart, E820Type.Ram),
            new(X64Layout.EbdaStart, X64Layout.HighMemoryStart - X64Layout.EbdaStart, E820Type.Reserved),
            new(X64Layout.HighMemoryStart, ranges[0].Size - X64Layout.HighMemoryStart, E820Type.Ram),
        };
        if (ranges.Count > 1)
        {
            map.Add(new E820Entry(ranges[1].Start, ranges[1].Size, E820Type.Ram));
        }

        return map;
    }
}
