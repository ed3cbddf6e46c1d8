using SharpVirt.Devices.Legacy;

namespace SharpVirt.Devices.Tests.Legacy;

public sealed class CmosRtcTests
{
    private const ulong Index = 0, Data = 1;
    private const ulong MiB = 1024 * 1024;
    private const ulong GiB = 1024 * MiB;

    // Saturday 9 March 2024, 21:45:07 UTC.
    private static readonly DateTime Pinned = new(2024, 3, 9, 21, 45, 7, DateTimeKind.Utc);

    private static CmosRtc Create(DateTime now, ulong memory = 512 * MiB) => new(() => now, memory);

    private static byte Get(CmosRtc rtc, byte register)
    {
        rtc.Out(Index, register);
        return rtc.In(Data);
    }

    private static void Set(CmosRtc rtc, byte register, byte value)
    {
        rtc.Out(Index, register);
        rtc.Out(Data, value);
    }

    private static int Word(CmosRtc rtc, byte low) => Get(rtc, low) | (Get(rtc, (byte)(low + 1)) << 8);

    [Fact]
    public void Time_reads_in_bcd_and_24_hour_form_by_default()
    {
        var rtc = Create(Pinned);
        Assert.Equal(0x07, Get(rtc, 0x00));
        Assert.Equal(0x45, Get(rtc, 0x02));
        Assert.Equal(0x21, Get(rtc, 0x04));
        Assert.Equal(0x07, Get(rtc, 0x06)); // Saturday; Sunday is 1
        Assert.Equal(0x09, Get(rtc, 0x07));
        Assert.Equal(0x03, Get(rtc, 0x08));
        Assert.Equal(0x24, Get(rtc, 0x09));
        Assert.Equal(0x20, Get(rtc, 0x32));
    }

    [Fact]
    public void Binary_mode_reports_plain_numbers()
    {
        var rtc = Create(Pinned);
        Set(rtc, 0x0b, 0x06);
        Assert.Equal(0x06, Get(rtc, 0x0b));
        Assert.Equal(7, Get(rtc, 0x00));
        Assert.Equal(45, Get(rtc, 0x02));
        Assert.Equal(21, Get(rtc, 0x04));
        Assert.Equal(9, Get(rtc, 0x07));
        Assert.Equal(24, Get(rtc, 0x09));
        Assert.Equal(20, Get(rtc, 0x32));
    }

    [Fact]
    public void Twelve_hour_mode_flags_pm_and_reports_midnight_as_12()
    {
        var rtc = Create(Pinned);
        Set(rtc, 0x0b, 0x00);
        Assert.Equal(0x80 | 0x09, Get(rtc, 0x04));

        var midnight = Create(new DateTime(1999, 12, 31, 0, 5, 0, DateTimeKind.Utc));
        Set(midnight, 0x0b, 0x04);
        Assert.Equal(12, Get(midnight, 0x04));
        Assert.Equal(99, Get(midnight, 0x09));
        Assert.Equal(19, Get(midnight, 0x32));
    }

    [Fact]
    public void Time_follows_the_clock_and_ignores_guest_writes()
    {
        var now = Pinned;
        var rtc = new CmosRtc(() => now, 0);
        Set(rtc, 0x00, 0x59);
        Assert.Equal(0x07, Get(rtc, 0x00));
        now = now.AddSeconds(5);
        Assert.Equal(0x12, Get(rtc, 0x00));
    }

    [Fact]
    public void A_local_clock_is_converted_to_utc()
    {
        var local = DateTime.SpecifyKind(Pinned.ToLocalTime(), DateTimeKind.Local);
        var rtc = Create(local);
        Assert.Equal(0x21, Get(rtc, 0x04));
        Assert.Equal(0x45, Get(rtc, 0x02));
    }

    [Fact]
    public void Status_registers_have_their_fixed_values()
    {
        var rtc = Create(Pinned);
        Assert.Equal(0x26, Get(rtc, 0x0a));
        Assert.Equal(0x02, Get(rtc, 0x0b));
        Assert.Equal(0x00, Get(rtc, 0x0c));
        Assert.Equal(0x80, Get(rtc, 0x0d));

        Set(rtc, 0x0a, 0xa6); // UIP is read-only
        Assert.Equal(0x26, Get(rtc, 0x0a));
        Set(rtc, 0x0c, 0xff);
        Set(rtc, 0x0d, 0x00);
        Assert.Equal(0x00, Get(rtc, 0x0c));
        Assert.Equal(0x80, Get(rtc, 0x0d));
    }

    [Fact]
    public void Memory_size_registers_for_512_mib()
    {
        var rtc = Create(Pinned, 512 * MiB);
        Assert.Equal(640, Word(rtc, 0x15));
        Assert.Equal(0xffff, Word(rtc, 0x17));
        Assert.Equal(0xffff, Word(rtc, 0x30));
        Assert.Equal((512 - 16) * 16, Word(rtc, 0x34));
        Assert.Equal(0, Get(rtc, 0x5b));
        Assert.Equal(0, Get(rtc, 0x5c));
        Assert.Equal(0, Get(rtc, 0x5d));
    }

    [Fact]
    public void Memory_size_registers_for_6_gib()
    {
        var rtc = Create(Pinned, 6 * GiB);
        Assert.Equal(640, Word(rtc, 0x15));
        Assert.Equal(0xffff, Word(rtc, 0x17));
        Assert.Equal(0xff00, Word(rtc, 0x34)); // (4 GiB - 16 MiB) / 64 KiB
        Assert.Equal(0x00, Get(rtc, 0x5b)); // 2 GiB / 64 KiB = 0x008000
        Assert.Equal(0x80, Get(rtc, 0x5c));
        Assert.Equal(0x00, Get(rtc, 0x5d));
    }

    [Fact]
    public void Memory_size_registers_for_small_and_huge_guests()
    {
        var small = Create(Pinned, 8 * MiB);
        Assert.Equal(7 * 1024, Word(small, 0x17));
        Assert.Equal(0, Word(small, 0x34));

        var tiny = Create(Pinned, 256 * 1024);
        Assert.Equal(256, Word(tiny, 0x15));
        Assert.Equal(0, Word(tiny, 0x17));

        var huge = Create(Pinned, ulong.MaxValue);
        Assert.Equal(0xff, Get(huge, 0x5b));
        Assert.Equal(0xff, Get(huge, 0x5c));
        Assert.Equal(0xff, Get(huge, 0x5d));
    }

    [Fact]
    public void Other_registers_are_ram_and_index_bit_7_is_the_nmi_mask()
    {
        var rtc = Create(Pinned);
        Set(rtc, 0x40, 0x5a);
        Assert.Equal(0x5a, Get(rtc, 0x40));
        Assert.Equal(0x5a, Get(rtc, 0xc0));
        Set(rtc, 0xff, 0x11);
        Assert.Equal(0x11, Get(rtc, 0x7f));
        Set(rtc, 0x01, 0x30); // seconds alarm
        Assert.Equal(0x30, Get(rtc, 0x01));
    }

    [Fact]
    public void Hostile_offsets_and_lengths_do_not_throw()
    {
        var rtc = Create(Pinned);
        foreach (var offset in new ulong[] { 2, 3, 0x70, ulong.MaxValue })
        {
            var data = new byte[8];
            rtc.Read(offset, data);
            Assert.All(data, b => Assert.Equal(0xff, b));
            rtc.Write(offset, [0x40, 0x99]);
        }

        Assert.Equal(0xff, rtc.In(Index)); // the index port is write-only
        rtc.Read(1, []);
        rtc.Write(0, []);

        // A 16-bit write selects and writes in one go, like outw on a PC.
        rtc.Write(Index, [0x41, 0x77]);
        Assert.Equal(0x77, Get(rtc, 0x41));
        var wide = new byte[2];
        rtc.Out(Index, 0x41);
        rtc.Read(Index, wide);
        Assert.Equal(new byte[] { 0xff, 0x77 }, wide);
    }
}
