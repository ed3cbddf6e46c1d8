using System.Runtime.InteropServices;

namespace SharpVirt.Memory.Tests;

public sealed class GuestMemoryTests : IDisposable
{
    private const ulong MiB = 1UL << 20;
    private const ulong GiB = 1UL << 30;
    private const ulong HighStart = 4 * GiB;
    private const ulong HighEnd = 4 * GiB + MiB;

    // [0, 1 MiB) and [4 GiB, 4 GiB + 1 MiB), with the hole between them.
    private readonly GuestMemory _memory = GuestMemory.Create([(HighStart, MiB), (0, MiB)]);

    public void Dispose() => _memory.Dispose();

    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    private struct Descriptor
    {
        public ulong Address;
        public uint Length;
        public ushort Flags;
        public ushort Next;
    }

    [Fact]
    public void One_region_covers_exactly_its_range_and_starts_zeroed()
    {
        using var memory = GuestMemory.Create([(0, 64 * 1024)]);
        var region = Assert.Single(memory.Regions);
        Assert.Equal(0UL, region.Start);
        Assert.Equal(64UL * 1024, region.End);
        Assert.Equal(64UL * 1024, memory.TotalSize);
        Assert.All(memory.GetSpan(0, 64 * 1024).ToArray(), b => Assert.Equal(0, b));
    }

    [Fact]
    public void Regions_are_sorted_by_address_whatever_order_they_were_given_in()
    {
        Assert.Equal([0UL, HighStart], _memory.Regions.Select(r => r.Start));
        Assert.Equal(2 * MiB, _memory.TotalSize);
    }

    [Fact]
    public void Values_written_are_read_back_in_both_regions()
    {
        _memory.Write(0x1000UL, 0x0123_4567_89ab_cdefUL);
        _memory.Write<ushort>(0x2002, 0xbeef);
        _memory.Write(HighStart + 0x10, 0xdead_beefU);

        Assert.Equal(0x0123_4567_89ab_cdefUL, _memory.Read<ulong>(0x1000));
        Assert.Equal((ushort)0xbeef, _memory.Read<ushort>(0x2002));
        Assert.Equal(0xdead_beefU, _memory.Read<uint>(HighStart + 0x10));
        // The two regions are separate mappings: the same offset in the low region is untouched.
        Assert.Equal(0U, _memory.Read<uint>(0x10));
    }

    [Fact]
    public void Values_are_stored_little_endian()
    {
        _memory.Write(0x40UL, 0x11223344U);
        var bytes = new byte[4];
        _memory.Read(0x40, bytes);
        Assert.Equal(new byte[] { 0x44, 0x33, 0x22, 0x11 }, bytes);
    }

    [Fact]
    public void A_struct_round_trips_and_a_read_is_a_copy()
    {
        var d = new Descriptor { Address = 0x1234_5678_9000, Length = 512, Flags = 3, Next = 7 };
        _memory.Write(0x3000UL, d);

        var copy = _memory.Read<Descriptor>(0x3000);
        _memory.Write<ushort>(0x3000 + 12, 0xffff); // the guest changes Flags afterwards

        Assert.Equal(d, copy);
        Assert.Equal((ushort)0xffff, _memory.Read<Descriptor>(0x3000).Flags);
    }

    [Fact]
    public void Byte_spans_round_trip_and_Clear_zeroes_only_its_range()
    {
        _memory.Write(0x500, [1, 2, 3, 4, 5, 6]);
        _memory.Clear(0x501, 4);
        var back = new byte[6];
        _memory.Read(0x500, back);
        Assert.Equal(new byte[] { 1, 0, 0, 0, 0, 6 }, back);
    }

    [Theory]
    [InlineData(MiB - 8)]
    [InlineData(HighEnd - 8)]
    public void An_access_ending_exactly_at_a_region_end_works(ulong address)
    {
        _memory.Write(address, ulong.MaxValue);
        Assert.Equal(ulong.MaxValue, _memory.Read<ulong>(address));
        Assert.Equal(8, _memory.GetSpan(address, 8).Length);
    }

    [Theory]
    [InlineData(MiB - 7)]
    [InlineData(MiB)]
    [InlineData(HighEnd - 7)]
    [InlineData(HighEnd)]
    public void An_access_one_byte_past_a_region_end_throws_OutOfRange(ulong address)
    {
        var e = Assert.Throws<GuestMemoryException>(() => _memory.Read<ulong>(address));
        Assert.Equal(GuestMemoryErrorKind.OutOfRange, e.Kind);
        Assert.Contains($"0x{address:x}+0x8", e.Message);
        Assert.Throws<GuestMemoryException>(() => _memory.Write(address, 1UL));
    }

    [Theory]
    [InlineData(2 * GiB)]          // in the hole
    [InlineData(HighStart - 4)]    // runs from the hole into the high region
    [InlineData(MiB - 4)]          // runs from the low region into the hole
    public void An_access_touching_the_hole_throws(ulong address)
    {
        var e = Assert.Throws<GuestMemoryException>(() => _memory.Read<ulong>(address));
        Assert.Equal(GuestMemoryErrorKind.OutOfRange, e.Kind);
    }

    [Fact]
    public void An_access_spanning_two_adjacent_regions_throws()
    {
        using var memory = GuestMemory.Create([(0, MiB), (MiB, MiB)]);
        Assert.True(memory.IsValidRange(MiB - 4, 4));
        Assert.True(memory.IsValidRange(MiB, 4));
        Assert.False(memory.IsValidRange(MiB - 4, 8));
        var e = Assert.Throws<GuestMemoryException>(() => memory.Read<ulong>(MiB - 4));
        Assert.Equal(GuestMemoryErrorKind.OutOfRange, e.Kind);
    }

    [Fact]
    public void An_address_plus_length_that_overflows_throws_Overflow()
    {
        var address = ulong.MaxValue - 1;
        Assert.Equal(GuestMemoryErrorKind.Overflow, Assert.Throws<GuestMemoryException>(() => _memory.GetSpan(address, 4)).Kind);
        Assert.Equal(GuestMemoryErrorKind.Overflow, Assert.Throws<GuestMemoryException>(() => _memory.Read<uint>(address)).Kind);
        Assert.Equal(GuestMemoryErrorKind.Overflow, Assert.Throws<GuestMemoryException>(() => _memory.GetHostAddress(address, 4)).Kind);
        Assert.Equal(GuestMemoryErrorKind.Overflow, Assert.Throws<GuestMemoryException>(() => _memory.GetHostAddress(0x10, ulong.MaxValue)).Kind);
        Assert.False(_memory.IsValidRange(address, 4));
    }

    [Fact]
    public void The_last_two_addresses_without_overflow_are_just_out_of_range()
    {
        var e = Assert.Throws<GuestMemoryException>(() => _memory.GetSpan(ulong.MaxValue - 1, 1));
        Assert.Equal(GuestMemoryErrorKind.OutOfRange, e.Kind);
    }

    [Fact]
    public void A_negative_span_length_throws_ArgumentOutOfRange()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _memory.GetSpan(0, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => _memory.Clear(0, int.MinValue));
    }

    [Theory]
    [InlineData(0UL, 0UL, true)]
    [InlineData(0UL, MiB, true)]
    [InlineData(0UL, MiB + 1, false)]
    [InlineData(MiB - 1, 1UL, true)]
    [InlineData(MiB, 1UL, false)]
    [InlineData(MiB, 0UL, true)]               // an empty range at the very end, like span[len..]
    [InlineData(2 * GiB, 0UL, false)]          // even an empty range must sit in a region
    [InlineData(HighStart - 1, 1UL, false)]
    [InlineData(HighStart, MiB, true)]
    [InlineData(HighStart, MiB + 1, false)]
    [InlineData(0UL, HighEnd, false)]          // covers both regions and the hole
    [InlineData(ulong.MaxValue, 0UL, false)]
    [InlineData(ulong.MaxValue, 1UL, false)]
    [InlineData(1UL, ulong.MaxValue, false)]
    [InlineData(0UL, ulong.MaxValue, false)]
    public void IsValidRange_answers_edge_cases(ulong address, ulong length, bool expected) =>
        Assert.Equal(expected, _memory.IsValidRange(address, length));

    public static TheoryData<(ulong, ulong)[]> InvalidLayouts => new()
    {
        Array.Empty<(ulong, ulong)>(),                     // empty
        new[] { (0UL, 0UL) },                              // zero-sized region
        new[] { (0x800UL, 0x1000UL) },                     // unaligned start
        new[] { (0UL, 0x1800UL) },                         // unaligned size
        new[] { (0UL, 2 * MiB), (MiB, 2 * MiB) },          // overlapping
        new[] { (MiB, MiB), (MiB, MiB) },                  // the same range twice
        new[] { (ulong.MaxValue - 0xfff, 0x2000UL) },      // runs past 2^64
    };

    [Theory]
    [MemberData(nameof(InvalidLayouts))]
    public void Create_rejects_invalid_layouts(ValueTuple<ulong, ulong>[] ranges)
    {
        var e = Assert.Throws<GuestMemoryException>(() => GuestMemory.Create(ranges));
        Assert.Equal(GuestMemoryErrorKind.InvalidLayout, e.Kind);
    }

    [Fact]
    public void Create_accepts_regions_that_touch_without_overlapping()
    {
        using var memory = GuestMemory.Create([(0, MiB), (MiB, MiB)]);
        Assert.Equal(2, memory.Regions.Count);
    }

    [Fact]
    public void GetHostAddress_maps_into_the_region_holding_the_address()
    {
        Assert.Equal(_memory.Regions[0].HostAddress + 0x10, _memory.GetHostAddress(0x10, 16));
        Assert.Equal(_memory.Regions[1].HostAddress + 0x20, _memory.GetHostAddress(HighStart + 0x20, 16));
        Assert.NotEqual(_memory.Regions[0].HostAddress, _memory.Regions[1].HostAddress);
    }

    [Fact]
    public unsafe void Bytes_written_through_the_host_address_are_guest_bytes()
    {
        var host = (ulong*)_memory.GetHostAddress(HighStart + 0x100, 8);
        *host = 0xfeed_f00d;
        Assert.Equal(0xfeed_f00dUL, _memory.Read<ulong>(HighStart + 0x100));
    }

    [Fact]
    public void GetHostAddress_refuses_a_range_outside_guest_RAM()
    {
        var e = Assert.Throws<GuestMemoryException>(() => _memory.GetHostAddress(MiB - 8, 16));
        Assert.Equal(GuestMemoryErrorKind.OutOfRange, e.Kind);
    }

    [Fact]
    public void Disposing_twice_is_safe()
    {
        var memory = GuestMemory.Create([(0, MiB)]);
        memory.Dispose();
        memory.Dispose();
    }

    [Fact]
    public void SizeOf_reports_the_unmanaged_size()
    {
        Assert.Equal(16, GuestMemory.SizeOf<Descriptor>());
        Assert.Equal(8, GuestMemory.SizeOf<ulong>());
    }
}
