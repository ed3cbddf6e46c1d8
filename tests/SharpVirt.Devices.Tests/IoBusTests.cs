using SharpVirt.Devices.Bus;

namespace SharpVirt.Devices.Tests;

public sealed class IoBusTests
{
    private sealed class Recorder : IBusDevice
    {
        public List<(ulong Offset, byte[] Data)> Writes { get; } = [];
        public void Read(ulong offset, Span<byte> data) => data.Fill((byte)offset);
        public void Write(ulong offset, ReadOnlySpan<byte> data) => Writes.Add((offset, data.ToArray()));
    }

    [Fact]
    public void Routes_accesses_by_range_with_device_relative_offsets()
    {
        var bus = new IoBus("pio");
        var a = new Recorder();
        var b = new Recorder();
        bus.Insert(a, 0x3f8, 8);
        bus.Insert(b, 0x60, 1);

        var data = new byte[1];
        Assert.True(bus.Read(0x3fa, data));
        Assert.Equal(2, data[0]);
        Assert.True(bus.Write(0x60, [0xfe]));
        Assert.Equal(0UL, b.Writes[0].Offset);
        Assert.Equal(new byte[] { 0xfe }, b.Writes[0].Data);
        Assert.Empty(a.Writes);
    }

    [Fact]
    public void Unclaimed_reads_are_all_ones_and_counted()
    {
        var bus = new IoBus("pio");
        bus.Insert(new Recorder(), 0x3f8, 8);
        var data = new byte[4];
        Assert.False(bus.Read(0x500, data));
        Assert.Equal(new byte[] { 0xff, 0xff, 0xff, 0xff }, data);
        Assert.False(bus.Write(0x3f7, [1]));
        Assert.Equal(2, bus.UnhandledAccesses);
    }

    [Fact]
    public void An_access_running_past_a_device_end_is_not_routed_to_it()
    {
        var bus = new IoBus("mmio");
        bus.Insert(new Recorder(), 0x1000, 4);
        Assert.False(bus.Read(0x1002, new byte[4]));
        Assert.True(bus.Read(0x1000, new byte[4]));
    }

    [Fact]
    public void Overlapping_ranges_are_refused_with_both_devices_named()
    {
        var bus = new IoBus("pio");
        bus.Insert(new Recorder(), 0x3f8, 8);
        var e = Assert.Throws<ArgumentException>(() => bus.Insert(new Recorder(), 0x3ff, 2));
        Assert.Contains("overlaps 0x3f8", e.Message);
        Assert.Throws<ArgumentException>(() => bus.Insert(new Recorder(), ulong.MaxValue, 2));
    }
}
