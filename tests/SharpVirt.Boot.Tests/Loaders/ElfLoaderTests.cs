using System.Buffers.Binary;
using SharpVirt.Memory;

namespace SharpVirt.Boot.Tests.Loaders;

public sealed class ElfLoaderTests : IDisposable
{
    private const ulong MiB = 1UL << 20;
    private const uint XenElfNotePhys32Entry = 18;
    private readonly GuestMemory _memory = GuestMemory.Create([(0, 16 * MiB)]);

    public ElfLoaderTests() =>
        // Garbage where the segments' zero-filled tails will go, so the test sees the loader clear them.
        _memory.GetSpan(0x100000, 0x200000).Fill(0xaa);

    public void Dispose() => _memory.Dispose();

    private static byte[] U64(ulong value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        return bytes;
    }

    private static ElfBuilder TwoSegmentsAndAPvhNote()
    {
        var elf = new ElfBuilder { Entry = 0x100010 };
        elf.Segments.Add(new ElfSegment(ElfBuilder.PtLoad, 0x100000, ElfBuilder.Pattern(0x100, 1), 0x1000));
        elf.Segments.Add(new ElfSegment(ElfBuilder.PtLoad, 0x200000, ElfBuilder.Pattern(0x80, 2), 0x200));
        var notes = ElfBuilder.Note("GNU", 3, new byte[20]).Concat(ElfBuilder.Note("Xen", XenElfNotePhys32Entry, U64(0x1000c0))).ToArray();
        elf.Segments.Add(new ElfSegment(ElfBuilder.PtNote, 0, notes, (ulong)notes.Length));
        return elf;
    }

    [Fact]
    public void Loadable_segments_go_to_their_physical_addresses_with_the_rest_of_memsz_zeroed()
    {
        var elf = TwoSegmentsAndAPvhNote();

        var kernel = ElfLoader.Load(_memory, elf.Build(), "vmlinux");

        Assert.Equal(KernelFormat.Elf, kernel.Format);
        Assert.Equal(elf.Segments[0].Data, _memory.GetSpan(0x100000, 0x100).ToArray());
        Assert.All(_memory.GetSpan(0x100100, 0x1000 - 0x100).ToArray(), b => Assert.Equal(0, b));
        Assert.Equal(0xaa, _memory.Read<byte>(0x101000)); // one past memsz is not touched
        Assert.Equal(elf.Segments[1].Data, _memory.GetSpan(0x200000, 0x80).ToArray());
        Assert.All(_memory.GetSpan(0x200080, 0x200 - 0x80).ToArray(), b => Assert.Equal(0, b));
        Assert.Equal(0xaa, _memory.Read<byte>(0x200200));
    }

    [Fact]
    public void The_entry_load_end_and_PVH_entry_come_from_the_headers_and_notes()
    {
        var kernel = ElfLoader.Load(_memory, TwoSegmentsAndAPvhNote().Build(), "vmlinux");

        Assert.Equal(0x100010UL, kernel.EntryAddress);
        Assert.Equal(0x200200UL, kernel.LoadEnd);
        Assert.Equal(0x1000c0UL, kernel.PvhEntry);
        Assert.Empty(kernel.SetupHeader);
    }

    [Fact]
    public void A_four_byte_PVH_descriptor_is_read_as_32_bits()
    {
        var elf = new ElfBuilder();
        elf.Segments.Add(new ElfSegment(ElfBuilder.PtLoad, 0x100000, [1, 2, 3, 4], 4));
        var note = ElfBuilder.Note("Xen", XenElfNotePhys32Entry, [0x00, 0x05, 0x00, 0x01]);
        elf.Segments.Add(new ElfSegment(ElfBuilder.PtNote, 0, note, (ulong)note.Length));

        Assert.Equal(0x0100_0500UL, ElfLoader.Load(_memory, elf.Build(), "k").PvhEntry);
    }

    [Fact]
    public void Without_a_Xen_note_there_is_no_PVH_entry()
    {
        var elf = new ElfBuilder();
        elf.Segments.Add(new ElfSegment(ElfBuilder.PtLoad, 0x100000, [1], 1));
        // Right type, wrong owner; right owner, wrong type.
        var notes = ElfBuilder.Note("Linux", XenElfNotePhys32Entry, U64(0x1234)).Concat(ElfBuilder.Note("Xen", 17, U64(0x5678))).ToArray();
        elf.Segments.Add(new ElfSegment(ElfBuilder.PtNote, 0, notes, (ulong)notes.Length));

        Assert.Null(ElfLoader.Load(_memory, elf.Build(), "k").PvhEntry);
    }

    public static TheoryData<string, byte[]> HostileNotes => new()
    {
        { "namesz near 4 GiB", ElfBuilder.RawNote(0xffff_fff0, 8, XenElfNotePhys32Entry, new byte[16]) },
        { "namesz that rounds up past 2^32", ElfBuilder.RawNote(uint.MaxValue, 8, XenElfNotePhys32Entry, new byte[16]) },
        { "namesz of int.MaxValue", ElfBuilder.RawNote(int.MaxValue, 8, XenElfNotePhys32Entry, new byte[16]) },
        { "namesz just past the segment", ElfBuilder.RawNote(64, 8, XenElfNotePhys32Entry, new byte[16]) },
        { "descsz near 4 GiB", ElfBuilder.RawNote(4, 0xffff_fffc, XenElfNotePhys32Entry, "Xen\0"u8.ToArray()) },
        { "descsz past the segment", ElfBuilder.RawNote(4, 4096, XenElfNotePhys32Entry, "Xen\0"u8.ToArray()) },
        { "a short PVH descriptor", ElfBuilder.RawNote(4, 2, XenElfNotePhys32Entry, [.. "Xen\0"u8, 1, 2, 0, 0]) },
        { "a note header cut short", new byte[] { 4, 0, 0, 0, 8, 0, 0 } },
    };

    [Theory]
    [MemberData(nameof(HostileNotes))]
    public void Hostile_notes_are_ignored_without_an_exception(string what, byte[] notes)
    {
        var elf = new ElfBuilder();
        elf.Segments.Add(new ElfSegment(ElfBuilder.PtLoad, 0x100000, [0x90], 1));
        elf.Segments.Add(new ElfSegment(ElfBuilder.PtNote, 0, notes, (ulong)notes.Length));

        var kernel = ElfLoader.Load(_memory, elf.Build(), what);

        Assert.Null(kernel.PvhEntry);
        Assert.Equal(0x90, _memory.Read<byte>(0x100000));
    }

    [Fact]
    public void A_32_bit_ELF_is_not_a_kernel()
    {
        var elf = TwoSegmentsAndAPvhNote();
        elf.Class = 1;
        var e = Assert.Throws<BootException>(() => ElfLoader.Load(_memory, elf.Build(), "vmlinux32"));
        Assert.Equal(BootErrorKind.NotAKernel, e.Kind);
        Assert.StartsWith("vmlinux32:", e.Message);
    }

    [Fact]
    public void A_big_endian_ELF_is_not_a_kernel()
    {
        var elf = TwoSegmentsAndAPvhNote();
        elf.DataEncoding = 2;
        Assert.Equal(BootErrorKind.NotAKernel, Assert.Throws<BootException>(() => ElfLoader.Load(_memory, elf.Build(), "k")).Kind);
    }

    [Fact]
    public void An_ELF_for_another_machine_is_not_a_kernel()
    {
        var elf = TwoSegmentsAndAPvhNote();
        elf.Machine = 183; // EM_AARCH64
        Assert.Equal(BootErrorKind.NotAKernel, Assert.Throws<BootException>(() => ElfLoader.Load(_memory, elf.Build(), "k")).Kind);
    }

    [Fact]
    public void Bytes_without_the_ELF_magic_or_too_short_for_a_header_are_not_a_kernel()
    {
        Assert.Equal(BootErrorKind.NotAKernel, Assert.Throws<BootException>(() => ElfLoader.Load(_memory, new byte[128], "k")).Kind);
        var headerOnly = TwoSegmentsAndAPvhNote().Build()[..40];
        Assert.True(ElfLoader.IsElf(headerOnly));
        Assert.Equal(BootErrorKind.NotAKernel, Assert.Throws<BootException>(() => ElfLoader.Load(_memory, headerOnly, "k")).Kind);
    }

    [Fact]
    public void Program_headers_past_the_end_of_the_file_are_malformed()
    {
        var elf = TwoSegmentsAndAPvhNote();
        var image = elf.Build();
        BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(32), (ulong)image.Length - 100);
        var e = Assert.Throws<BootException>(() => ElfLoader.Load(_memory, image, "k"));
        Assert.Equal(BootErrorKind.Malformed, e.Kind);
    }

    [Theory]
    [InlineData(ulong.MaxValue)]
    [InlineData(0x1_0000_0000UL)]
    public void A_program_header_offset_beyond_the_file_is_malformed(ulong offset)
    {
        var image = TwoSegmentsAndAPvhNote().Build();
        BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(32), offset);
        Assert.Equal(BootErrorKind.Malformed, Assert.Throws<BootException>(() => ElfLoader.Load(_memory, image, "k")).Kind);
    }

    [Fact]
    public void No_program_headers_or_undersized_ones_are_malformed()
    {
        var none = new ElfBuilder().Build();
        Assert.Equal(BootErrorKind.Malformed, Assert.Throws<BootException>(() => ElfLoader.Load(_memory, none, "k")).Kind);

        var tiny = TwoSegmentsAndAPvhNote();
        tiny.ProgramHeaderSize = 32;
        Assert.Equal(BootErrorKind.Malformed, Assert.Throws<BootException>(() => ElfLoader.Load(_memory, tiny.Build(), "k")).Kind);
    }

    [Fact]
    public void A_segment_whose_data_lies_outside_the_file_is_malformed()
    {
        var elf = TwoSegmentsAndAPvhNote();
        var image = elf.Build();
        // Segment 1's p_filesz grows past the end of the file.
        BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(64 + 56 + 32), (ulong)image.Length);
        var e = Assert.Throws<BootException>(() => ElfLoader.Load(_memory, image, "k"));
        Assert.Equal(BootErrorKind.Malformed, e.Kind);
        Assert.Contains("segment 1", e.Message);
    }

    [Fact]
    public void Only_notes_and_no_loadable_segment_is_malformed()
    {
        var elf = new ElfBuilder();
        var note = ElfBuilder.Note("Xen", XenElfNotePhys32Entry, U64(0x1000));
        elf.Segments.Add(new ElfSegment(ElfBuilder.PtNote, 0, note, (ulong)note.Length));
        Assert.Equal(BootErrorKind.Malformed, Assert.Throws<BootException>(() => ElfLoader.Load(_memory, elf.Build(), "k")).Kind);
    }

    [Theory]
    [InlineData(0x0100_0000UL, 0x10UL)]          // starts at the end of 16 MiB
    [InlineData(0x00ff_fff0UL, 0x20UL)]          // runs past the end
    [InlineData(0xffff_ffff_ffff_fff0UL, 0x20UL)] // wraps around 2^64
    public void A_segment_outside_guest_memory_does_not_fit(ulong physicalAddress, ulong memorySize)
    {
        var elf = new ElfBuilder();
        elf.Segments.Add(new ElfSegment(ElfBuilder.PtLoad, physicalAddress, [1, 2, 3, 4], memorySize));
        var e = Assert.Throws<BootException>(() => ElfLoader.Load(_memory, elf.Build(), "k"));
        Assert.Equal(BootErrorKind.DoesNotFit, e.Kind);
        Assert.Contains($"0x{physicalAddress:x}", e.Message);
    }

    [Fact]
    public void A_segment_whose_memsz_is_smaller_than_its_filesz_is_refused()
    {
        var elf = new ElfBuilder();
        elf.Segments.Add(new ElfSegment(ElfBuilder.PtLoad, 0x100000, new byte[0x100], 0x80));
        Assert.Equal(BootErrorKind.DoesNotFit, Assert.Throws<BootException>(() => ElfLoader.Load(_memory, elf.Build(), "k")).Kind);
    }
}

public sealed class ElfLoaderLargeSegmentTests
{
    [Fact]
    public void A_segment_with_a_zero_fill_of_2_GiB_or_more_loads_and_is_zeroed_to_its_end()
    {
        using var memory = GuestMemory.Create([(0, 3UL << 30)]);
        memory.Write(0x100000UL + 0x8000_0003, (byte)0xee);
        var elf = new ElfBuilder();
        elf.Segments.Add(new ElfSegment(ElfBuilder.PtLoad, 0x100000, [1, 2, 3, 4], 0x8000_0004));

        var kernel = ElfLoader.Load(memory, elf.Build(), "huge-bss");

        Assert.Equal(0x100000UL + 0x8000_0004, kernel.LoadEnd);
        Assert.Equal((byte)4, memory.Read<byte>(0x100003));
        Assert.Equal((byte)0, memory.Read<byte>(0x100000UL + 0x8000_0003));
    }
}
