using System.Buffers.Binary;
using SharpVirt.Memory;

namespace SharpVirt.Boot.Tests.Loaders;

public sealed class BootParamsTests
{
    private const ulong MiB = 1UL << 20;

    private static readonly E820Entry[] ThreeEntries =
    [
        new(0, 0x9fc00, E820Type.Ram),
        new(0x9fc00, 0x60400, E820Type.Reserved),
        new(0x100000, 0x0ff0_0000, E820Type.Ram),
    ];

    private static LoadedKernel ElfKernel(ulong loadEnd = 0x200_0000, ulong initrdMax = 0x7fff_ffff) =>
        new(KernelFormat.Elf, 0x100_0000, loadEnd, [], initrdMax, PvhEntry: null);

    private static ushort U16(byte[] page, int offset) => BinaryPrimitives.ReadUInt16LittleEndian(page.AsSpan(offset));
    private static uint U32(byte[] page, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(page.AsSpan(offset));
    private static ulong U64(byte[] page, int offset) => BinaryPrimitives.ReadUInt64LittleEndian(page.AsSpan(offset));

    [Fact]
    public void The_e820_map_is_stored_at_0x2d0_in_20_byte_entries_with_its_count_at_0x1e8()
    {
        var page = BootParams.Build(ElfKernel(), 0x20000, 10, null, ThreeEntries, 0xe0000);

        Assert.Equal(BootParams.Size, page.Length);
        Assert.Equal(3, page[0x1e8]);
        for (var i = 0; i < ThreeEntries.Length; i++)
        {
            var at = 0x2d0 + i * 20;
            Assert.Equal(ThreeEntries[i].Address, U64(page, at));
            Assert.Equal(ThreeEntries[i].Size, U64(page, at + 8));
            Assert.Equal((uint)ThreeEntries[i].Type, U32(page, at + 16));
        }

        Assert.Equal(0UL, U64(page, 0x2d0 + 3 * 20)); // nothing after the last entry
    }

    [Fact]
    public void The_command_line_pointer_and_size_are_set()
    {
        var page = BootParams.Build(ElfKernel(), 0x20000, 42, null, ThreeEntries, 0);
        Assert.Equal(0x20000U, U32(page, 0x228));
        Assert.Equal(0U, U32(page, 0x0c8)); // ext_cmd_line_ptr: the high half
        Assert.Equal(42U, U32(page, 0x238));
    }

    [Fact]
    public void The_initrd_address_and_size_are_set_only_when_there_is_one()
    {
        var with = BootParams.Build(ElfKernel(), 0x20000, 1, new BootParams.Initrd(0x0f00_0000, 0x12345), ThreeEntries, 0);
        Assert.Equal(0x0f00_0000U, U32(with, 0x218));
        Assert.Equal(0x12345U, U32(with, 0x21c));
        Assert.Equal(0U, U32(with, 0x0c0));

        var without = BootParams.Build(ElfKernel(), 0x20000, 1, null, ThreeEntries, 0);
        Assert.Equal(0U, U32(without, 0x218));
        Assert.Equal(0U, U32(without, 0x21c));
    }

    [Fact]
    public void The_loader_is_undefined_and_may_use_the_heap_and_the_RSDP_is_at_0x70()
    {
        var page = BootParams.Build(ElfKernel(), 0x20000, 1, null, ThreeEntries, 0xe0000);
        Assert.Equal(0xff, page[0x210]);            // type_of_loader
        Assert.Equal(0x80, page[0x211] & 0x80);     // CAN_USE_HEAP
        Assert.Equal(0x01, page[0x211] & 0x01);     // LOADED_HIGH
        Assert.Equal((ushort)0xfe00, U16(page, 0x224)); // heap_end_ptr
        Assert.Equal(0xe0000UL, U64(page, 0x70));   // acpi_rsdp_addr
    }

    [Fact]
    public void An_ELF_kernel_gets_a_minimal_setup_header()
    {
        var page = BootParams.Build(ElfKernel(), 0x20000, 1, null, ThreeEntries, 0);
        Assert.Equal((ushort)0xaa55, U16(page, 0x1fe));
        Assert.Equal(0x5372_6448U, U32(page, 0x202)); // "HdrS"
        Assert.True(U16(page, 0x206) >= 0x020c, "protocol version");
        Assert.Equal(0x0100_0000U, U32(page, 0x230)); // kernel_alignment
    }

    [Fact]
    public void A_bzImage_setup_header_is_copied_to_0x1f1_and_only_the_loader_fields_change()
    {
        using var memory = GuestMemory.Create([(0, 32 * MiB)]);
        var image = new BzImageBuilder { SetupSectors = 9, InitSize = 0x12_3000, Version = 0x020f }.Build();
        var kernel = BzImageLoader.Load(memory, image, "bzImage");

        var page = BootParams.Build(kernel, 0x20000, 5, null, ThreeEntries, 0);

        Assert.Equal(9, page[0x1f1]);
        Assert.Equal((ushort)0x020f, U16(page, 0x206));
        Assert.Equal(0x12_3000U, U32(page, 0x260));
        Assert.Equal(0x5372_6448U, U32(page, 0x202));
        Assert.Equal(0xff, page[0x210]);
        Assert.Equal(0x20000U, U32(page, 0x228));
    }

    [Fact]
    public void More_e820_entries_than_boot_params_holds_are_refused()
    {
        var tooMany = Enumerable.Range(0, 129).Select(i => new E820Entry((ulong)i << 20, 1 << 20, E820Type.Ram)).ToArray();
        var e = Assert.Throws<BootException>(() => BootParams.Build(ElfKernel(), 0x20000, 1, null, tooMany, 0));
        Assert.Equal(BootErrorKind.Malformed, e.Kind);

        var full = BootParams.Build(ElfKernel(), 0x20000, 1, null, tooMany[..128], 0);
        Assert.Equal(128, full[0x1e8]);
        Assert.Equal(127UL << 20, U64(full, 0x2d0 + 127 * 20));
    }

    [Fact]
    public void The_initrd_goes_page_aligned_at_the_top_of_low_memory()
    {
        using var memory = GuestMemory.Create([(0, 256 * MiB)]);
        const ulong size = 0x12345;

        var address = BootParams.PlaceInitrd(memory, ElfKernel(), size);

        Assert.Equal(0UL, address % 4096);
        Assert.True(address + size <= 256 * MiB);
        Assert.True(address + 4096 + size > 256 * MiB, $"0x{address:x} is not the highest page that fits");
    }

    [Fact]
    public void The_initrd_stays_below_initrd_addr_max()
    {
        using var memory = GuestMemory.Create([(0, 256 * MiB)]);
        var kernel = ElfKernel(initrdMax: 0x07ff_ffff); // 128 MiB - 1

        var address = BootParams.PlaceInitrd(memory, kernel, 0x10_0000);

        Assert.Equal(0x0800_0000UL - 0x10_0000, address);
    }

    [Fact]
    public void The_initrd_uses_only_the_region_below_the_hole()
    {
        // With two regions, the initrd stays in the first (low) one even if the limit would allow more.
        using var memory = GuestMemory.Create([(0, 64 * MiB), (4UL << 30, 64 * MiB)]);
        var address = BootParams.PlaceInitrd(memory, ElfKernel(initrdMax: ulong.MaxValue - 1), 0x1000);
        Assert.Equal(64 * MiB - 0x1000, address);
    }

    [Fact]
    public void An_initrd_that_would_overlap_the_kernel_is_refused()
    {
        using var memory = GuestMemory.Create([(0, 256 * MiB)]);
        var kernel = ElfKernel(loadEnd: 200 * MiB);

        var e = Assert.Throws<BootException>(() => BootParams.PlaceInitrd(memory, kernel, 60 * MiB));
        Assert.Equal(BootErrorKind.DoesNotFit, e.Kind);

        // 56 MiB still fits exactly between the kernel and the end of RAM.
        Assert.Equal(200 * MiB, BootParams.PlaceInitrd(memory, kernel, 56 * MiB));
    }

    [Fact]
    public void An_initrd_larger_than_memory_is_refused()
    {
        using var memory = GuestMemory.Create([(0, 16 * MiB)]);
        Assert.Equal(BootErrorKind.DoesNotFit, Assert.Throws<BootException>(() => BootParams.PlaceInitrd(memory, ElfKernel(0), 17 * MiB)).Kind);
    }
}
