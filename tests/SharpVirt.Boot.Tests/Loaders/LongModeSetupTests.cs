using SharpVirt.Memory;

namespace SharpVirt.Boot.Tests.Loaders;

public sealed class LongModeSetupTests : IDisposable
{
    private const ulong Present = 1, Writable = 2, PageSize = 0x80;
    private const ulong MiB = 1UL << 20;
    private const ulong GiB = 1UL << 30;
    private readonly GuestMemory _memory = GuestMemory.Create([(0, MiB)]);

    public LongModeSetupTests()
    {
        // Stale bytes where the tables go: Write must clear what it does not fill.
        _memory.GetSpan(X64Layout.Pml4Address, 6 * 4096).Fill(0xee);
        LongModeSetup.Write(_memory);
    }

    public void Dispose() => _memory.Dispose();

    /// <summary>Walks the tables like the MMU (4-level, 2 MiB pages); null when a level is not present.</summary>
    private ulong? Translate(ulong linear)
    {
        var pml4e = _memory.Read<ulong>(X64Layout.Pml4Address + ((linear >> 39) & 511) * 8);
        if ((pml4e & Present) == 0)
        {
            return null;
        }

        var pdpte = _memory.Read<ulong>((pml4e & 0x000f_ffff_ffff_f000) + ((linear >> 30) & 511) * 8);
        if ((pdpte & Present) == 0)
        {
            return null;
        }

        var pde = _memory.Read<ulong>((pdpte & 0x000f_ffff_ffff_f000) + ((linear >> 21) & 511) * 8);
        if ((pde & Present) == 0 || (pde & PageSize) == 0)
        {
            return null;
        }

        return (pde & 0x000f_ffff_ffe0_0000) | (linear & 0x1f_ffff);
    }

    [Fact]
    public void The_PML4_points_at_the_PDPT_and_the_PDPT_at_four_page_directories()
    {
        Assert.Equal(X64Layout.PdptAddress | Present | Writable, _memory.Read<ulong>(X64Layout.Pml4Address));
        Assert.Equal(0UL, _memory.Read<ulong>(X64Layout.Pml4Address + 8));
        for (ulong i = 0; i < 4; i++)
        {
            Assert.Equal((X64Layout.PdAddress + i * 4096) | Present | Writable, _memory.Read<ulong>(X64Layout.PdptAddress + i * 8));
        }

        Assert.Equal(0UL, _memory.Read<ulong>(X64Layout.PdptAddress + 4 * 8));
    }

    [Fact]
    public void Page_directory_entries_are_present_writable_2_MiB_pages()
    {
        Assert.Equal(0UL | Present | Writable | PageSize, _memory.Read<ulong>(X64Layout.PdAddress));
        // 3 GiB + 2 MiB: the fourth directory, entry 1.
        Assert.Equal((3 * GiB + 2 * MiB) | Present | Writable | PageSize, _memory.Read<ulong>(X64Layout.PdAddress + 3 * 4096 + 8));
        Assert.Equal((4 * GiB - 2 * MiB) | Present | Writable | PageSize, _memory.Read<ulong>(X64Layout.PdAddress + 3 * 4096 + 511 * 8));
    }

    [Theory]
    [InlineData(0x0UL)]
    [InlineData(0x1234_5678UL)]
    [InlineData(0x100_0000UL)]
    [InlineData(3 * GiB + 2 * MiB)]
    [InlineData(3 * GiB + 2 * MiB + 0x1234)]
    [InlineData(4 * GiB - 1)]
    public void The_first_4_GiB_are_identity_mapped(ulong address) =>
        Assert.Equal(address, Translate(address));

    [Theory]
    [InlineData(4 * GiB)]
    [InlineData(512 * GiB)]
    public void Addresses_from_4_GiB_up_are_not_mapped(ulong address) =>
        Assert.Null(Translate(address));

    [Fact]
    public void The_GDT_and_an_empty_IDT_are_written_at_their_addresses()
    {
        for (var i = 0; i < LongModeSetup.GdtEntries.Length; i++)
        {
            Assert.Equal(LongModeSetup.GdtEntries[i], _memory.Read<ulong>(X64Layout.GdtAddress + (ulong)i * 8));
        }

        Assert.Equal(0UL, _memory.Read<ulong>(X64Layout.IdtAddress));
    }

    [Fact]
    public void The_descriptors_match_the_well_known_flat_64_bit_values()
    {
        Assert.Equal(0UL, LongModeSetup.GdtEntries[0]);
        Assert.Equal(0x00af_9b00_0000_ffffUL, LongModeSetup.GdtEntries[LongModeSetup.CodeSelector / 8]);
        Assert.Equal(0x00cf_9300_0000_ffffUL, LongModeSetup.GdtEntries[LongModeSetup.DataSelector / 8]);
        Assert.Equal(0x008f_8b00_0000_ffffUL, LongModeSetup.GdtEntries[LongModeSetup.TssSelector / 8]);
    }

    private static (ulong Base, ulong Limit, int Type, bool S, bool P, bool L, bool D, bool G) Decode(ulong e) => (
        ((e >> 16) & 0xff_ffff) | ((e >> 32) & 0xff00_0000),
        (e & 0xffff) | ((e >> 32) & 0xf_0000),
        (int)((e >> 40) & 0xf),
        ((e >> 44) & 1) != 0,
        ((e >> 47) & 1) != 0,
        ((e >> 53) & 1) != 0,
        ((e >> 54) & 1) != 0,
        ((e >> 55) & 1) != 0);

    [Fact]
    public void The_code_descriptor_is_a_present_64_bit_code_segment()
    {
        var code = Decode(LongModeSetup.GdtEntries[1]);
        Assert.True(code.P);
        Assert.True(code.S);
        Assert.True(code.L, "L bit: 64-bit code");
        Assert.False(code.D, "D must be clear when L is set");
        Assert.Equal(0xb, code.Type); // execute/read, accessed
        Assert.True(code.G);
        Assert.Equal(0UL, code.Base);
        Assert.Equal(0xfffffUL, code.Limit);
    }

    [Fact]
    public void The_data_descriptor_is_a_flat_writable_segment_without_the_L_bit()
    {
        var data = Decode(LongModeSetup.GdtEntries[2]);
        Assert.True(data.P);
        Assert.True(data.S);
        Assert.False(data.L);
        Assert.True(data.D);
        Assert.Equal(0x3, data.Type); // read/write, accessed
        Assert.Equal(0xfffffUL, data.Limit);
    }

    [Fact]
    public void The_TSS_descriptor_is_a_busy_system_segment()
    {
        var tss = Decode(LongModeSetup.GdtEntries[3]);
        Assert.True(tss.P);
        Assert.False(tss.S);
        Assert.Equal(0xb, tss.Type);
    }

    [Fact]
    public void GdtEntry_packs_base_and_limit_into_their_split_fields()
    {
        var e = Decode(LongModeSetup.GdtEntry(0x4093, 0x1234_5678, 0xa_bcde));
        Assert.Equal(0x1234_5678UL, e.Base);
        Assert.Equal(0xa_bcdeUL, e.Limit);
        Assert.Equal(3, e.Type);
        Assert.True(e.D);
        Assert.False(e.G);
    }
}
