using SharpVirt.Memory;

namespace SharpVirt.Boot;

/// <summary>
/// The GDT and identity-mapped page tables (first 4 GiB, 2 MiB pages) that let the VMM enter a kernel
/// directly in 64-bit mode, as Firecracker does.
/// </summary>
public static class LongModeSetup
{
    /// <summary>GDT entries: null, 64-bit code (0x08), data (0x10), TSS (0x18).</summary>
    public static readonly ulong[] GdtEntries =
    [
        0,
        GdtEntry(0xa09b, 0, 0xfffff),
        GdtEntry(0xc093, 0, 0xfffff),
        GdtEntry(0x808b, 0, 0xfffff),
    ];

    /// <summary>Code segment selector.</summary>
    public const ushort CodeSelector = 0x08;
    /// <summary>Data segment selector.</summary>
    public const ushort DataSelector = 0x10;
    /// <summary>TSS selector.</summary>
    public const ushort TssSelector = 0x18;

    private const ulong Present = 1, Writable = 2, PageSize = 0x80;

    /// <summary>Packs a descriptor the way the CPU reads it: flags (G, D/B, L, AVL, P, DPL, S, type), base, limit.</summary>
    public static ulong GdtEntry(ushort flags, uint @base, uint limit) =>
        ((@base & 0xff000000UL) << 32) | ((@base & 0x00ffffffUL) << 16) | (limit & 0xffffUL) |
        ((limit & 0xf0000UL) << 32) | ((ulong)(flags & 0xf0ff) << 40);

    /// <summary>Writes the GDT, an empty IDT and the page tables.</summary>
    public static void Write(GuestMemory memory)
    {
        for (var i = 0; i < GdtEntries.Length; i++)
        {
            memory.Write(X64Layout.GdtAddress + (ulong)i * 8, GdtEntries[i]);
        }

        memory.Write(X64Layout.IdtAddress, 0UL);
        memory.Clear(X64Layout.Pml4Address, 4096 * 6);
        memory.Write(X64Layout.Pml4Address, X64Layout.PdptAddress | Present | Writable);
        for (ulong gib = 0; gib < 4; gib++)
        {
            var pd = X64Layout.PdAddress + gib * 4096;
            memory.Write(X64Layout.PdptAddress + gib * 8, pd | Present | Writable);
            for (ulong j = 0; j < 512; j++)
            {
                memory.Write(pd + j * 8, ((gib * 512 + j) << 21) | Present | Writable | PageSize);
            }
        }
    }
}
