using SharpVirt.Devices.Tests.Virtio.Rng;
using SharpVirt.Devices.Virtio.Queue;
using static SharpVirt.Devices.Tests.Virtio.Block.BlockTestRig;

namespace SharpVirt.Devices.Tests.Virtio.Block;

/// <summary>A hostile or buggy driver, and a read-only image.</summary>
public sealed class VirtioBlockHostileTests : IDisposable
{
    private readonly BlockTestRig _rig = new(imageBytes: 64 * 1024);

    public void Dispose() => _rig.Dispose();

    private (uint Id, uint Length) Serve(params (ulong Address, uint Length, bool Writable)[] buffers)
    {
        var before = _rig.Driver.UsedIdx;
        _rig.Driver.AddChain(buffers);
        _rig.Notify();
        _rig.WaitForUsed(before + 1);
        return _rig.Driver.ReadUsed(before);
    }

    [Fact]
    public void Read_only_device_offers_ro_and_refuses_writes_leaving_the_file_unchanged()
    {
        using var rig = new BlockTestRig(readOnly: true);
        Assert.NotEqual(0UL, rig.Device.AvailableFeatures & (1UL << 5));
        Assert.True(rig.Device.ReadOnly);
        var before = rig.ReadImage();
        rig.Activate();
        rig.Memory.Write(Data, Pattern(1024, 3));
        rig.WriteHeader(Out, 0);
        rig.PoisonStatus();
        rig.Driver.AddChain((Header, 16, false), (Data, 1024, false), (Status, 1, true));
        rig.Notify();
        rig.WaitForUsed(1);
        Assert.Equal(1u, rig.Driver.ReadUsed(0).Length);
        Assert.Equal(1, rig.StatusByte());
        Assert.Equal(before, rig.ReadImage());
        Assert.True(RngTestRig.WaitFor(() => rig.Device.Metrics.ReadOnlyRejections.Value == 1));
        Assert.Equal(1, rig.Device.Metrics.Errors.Value);
        Assert.Equal(0, rig.Device.Metrics.WriteRequests.Value);

        // Reads still work on a read-only device.
        rig.WriteHeader(In, 1);
        rig.Driver.AddChain((Header, 16, false), (Data, 512, true), (Status, 1, true));
        rig.Notify();
        rig.WaitForUsed(2);
        Assert.Equal(0, rig.StatusByte());
        Assert.Equal(before[512..1024], rig.ReadGuest(Data, 512));
    }

    [Fact]
    public void Two_read_only_devices_may_share_an_image()
    {
        using var rig = new BlockTestRig(readOnly: true);
        using var second = new SharpVirt.Devices.Virtio.Block.VirtioBlock(rig.ImagePath, readOnly: true);
        Assert.Equal(rig.Device.CapacitySectors, second.CapacitySectors);
    }

    [Theory]
    [InlineData(128UL, 512u)] // starts at the end
    [InlineData(127UL, 1024u)] // runs past the end
    [InlineData(ulong.MaxValue, 512u)]
    [InlineData(ulong.MaxValue / 512, 512u)] // sector * 512 would overflow
    [InlineData(ulong.MaxValue - 1, 1024u)] // sector + count would overflow
    public void Out_of_range_write_is_an_io_error_and_leaves_the_file_untouched(ulong sector, uint length)
    {
        _rig.Activate();
        var before = _rig.ReadImage();
        _rig.Memory.Write(Data, Pattern((int)length, 4));
        _rig.WriteHeader(Out, sector);
        _rig.PoisonStatus();
        var used = Serve((Header, 16, false), (Data, length, false), (Status, 1, true));
        Assert.Equal(1u, used.Length);
        Assert.Equal(1, _rig.StatusByte());
        Assert.Equal(before, _rig.ReadImage());
        Assert.True(RngTestRig.WaitFor(() => _rig.Device.Metrics.Errors.Value == 1));
    }

    [Theory]
    [InlineData(128UL)]
    [InlineData(ulong.MaxValue)]
    [InlineData(ulong.MaxValue / 512)]
    public void Out_of_range_read_is_an_io_error_and_writes_no_data(ulong sector)
    {
        _rig.Activate();
        _rig.Memory.Write(Data, new byte[512]);
        _rig.WriteHeader(In, sector);
        _rig.PoisonStatus();
        var used = Serve((Header, 16, false), (Data, 512, true), (Status, 1, true));
        Assert.Equal(1u, used.Length);
        Assert.Equal(1, _rig.StatusByte());
        Assert.All(_rig.ReadGuest(Data, 512), b => Assert.Equal(0, b));
    }

    [Fact]
    public void Read_of_the_last_sector_is_served()
    {
        _rig.Activate();
        var image = _rig.ReadImage();
        _rig.WriteHeader(In, 127);
        var used = Serve((Header, 16, false), (Data, 512, true), (Status, 1, true));
        Assert.Equal(513u, used.Length);
        Assert.Equal(0, _rig.StatusByte());
        Assert.Equal(image[^512..], _rig.ReadGuest(Data, 512));
    }

    [Theory]
    [InlineData(Out, 100u)]
    [InlineData(Out, 513u)]
    [InlineData(In, 511u)]
    public void Data_length_not_a_multiple_of_512_is_an_io_error(uint type, uint length)
    {
        _rig.Activate();
        var before = _rig.ReadImage();
        _rig.WriteHeader(type, 0);
        _rig.PoisonStatus();
        var used = Serve((Header, 16, false), (Data, length, type == In), (Status, 1, true));
        Assert.Equal(1u, used.Length);
        Assert.Equal(1, _rig.StatusByte());
        Assert.Equal(before, _rig.ReadImage());
    }

    [Fact]
    public void Missing_status_byte_is_answered_empty_and_counted()
    {
        _rig.Activate();
        var before = _rig.ReadImage();
        _rig.Memory.Write(Data, Pattern(512, 5));
        _rig.WriteHeader(Out, 0);
        // Everything readable: the "status" buffer is not device-writable.
        var used = Serve((Header, 16, false), (Data, 512, false), (Status, 1, false));
        Assert.Equal(0u, used.Length);
        Assert.Equal(before, _rig.ReadImage());
        Assert.True(RngTestRig.WaitFor(() => _rig.Device.Metrics.Errors.Value == 1));
    }

    [Fact]
    public void Header_too_short_is_an_io_error_and_counted()
    {
        _rig.Activate();
        _rig.WriteHeader(In, 0);
        _rig.PoisonStatus();
        var used = Serve((Header, 8, false), (Data, 512, true), (Status, 1, true));
        Assert.Equal(1u, used.Length);
        Assert.Equal(1, _rig.StatusByte());
        Assert.True(RngTestRig.WaitFor(() => _rig.Device.Metrics.Errors.Value == 1));
    }

    [Fact]
    public void No_header_at_all_is_an_io_error()
    {
        _rig.Activate();
        _rig.PoisonStatus();
        var used = Serve((Status, 1, true));
        Assert.Equal(1u, used.Length);
        Assert.Equal(1, _rig.StatusByte());
    }

    [Fact]
    public void Header_split_across_descriptors_is_accepted()
    {
        _rig.Activate();
        var image = _rig.ReadImage();
        _rig.WriteHeader(In, 3);
        var used = Serve((Header, 4, false), (Header + 4, 12, false), (Data, 512, true), (Status, 1, true));
        Assert.Equal(513u, used.Length);
        Assert.Equal(image[1536..2048], _rig.ReadGuest(Data, 512));
    }

    [Fact]
    public void Unknown_type_is_unsupported()
    {
        _rig.Activate();
        _rig.WriteHeader(11, 0); // DISCARD: not offered.
        _rig.PoisonStatus();
        var used = Serve((Header, 16, false), (Status, 1, true));
        Assert.Equal(1u, used.Length);
        Assert.Equal(2, _rig.StatusByte());
        Assert.True(RngTestRig.WaitFor(() => _rig.Device.Metrics.UnsupportedRequests.Value == 1));
    }

    [Fact]
    public void Descriptor_loop_is_answered_and_the_next_good_request_is_served()
    {
        _rig.Activate();
        _rig.Driver.WriteDescriptor(14, Header, 16, VirtqLayout.DescNext, 15);
        _rig.Driver.WriteDescriptor(15, Status, 1, (ushort)(VirtqLayout.DescNext | VirtqLayout.DescWrite), 14);
        _rig.Driver.Publish(14);
        _rig.Notify();
        _rig.WaitForUsed(1);
        Assert.Equal((14u, 0u), _rig.Driver.ReadUsed(0));

        var image = _rig.ReadImage();
        _rig.WriteHeader(In, 4);
        _rig.PoisonStatus();
        var used = Serve((Header, 16, false), (Data, 512, true), (Status, 1, true));
        Assert.Equal(513u, used.Length);
        Assert.Equal(0, _rig.StatusByte());
        Assert.Equal(image[2048..2560], _rig.ReadGuest(Data, 512));
        Assert.True(RngTestRig.WaitFor(() => _rig.Device.Metrics.ReadRequests.Value == 1));
        Assert.Equal(1, _rig.Device.Metrics.Errors.Value);
    }

    [Fact]
    public void Reset_then_reactivate_serves_again_and_dispose_closes_the_image()
    {
        _rig.Activate();
        _rig.Device.Reset();
        Assert.False(_rig.Device.IsActive);
        _rig.Notify();

        var image = _rig.ReadImage();
        var driver = new MockQueue(_rig.Memory, 16);
        _rig.Device.Activate(new SharpVirt.Devices.Virtio.VirtioActivation(_rig.Memory, 1UL << 32, [driver.Config], _rig.Interrupt));
        _rig.WriteHeader(In, 0);
        _rig.PoisonStatus();
        // The driver state is reset by writing a fresh ring: zero the rings first.
        _rig.Memory.Write(MockQueue.AvailRing + 2, (ushort)0);
        _rig.Memory.Write(MockQueue.UsedRing + 2, (ushort)0);
        driver.AddChain((Header, 16, false), (Data, 512, true), (Status, 1, true));
        _rig.Device.QueueNotify(0);
        Assert.True(RngTestRig.WaitFor(() => driver.UsedIdx == 1));
        Assert.Equal(image[..512], _rig.ReadGuest(Data, 512));

        _rig.Device.Dispose();
        // The exclusive lock is gone: another writer may now open the image.
        using var next = new SharpVirt.Devices.Virtio.Block.VirtioBlock(_rig.ImagePath, readOnly: false);
        Assert.Throws<ObjectDisposedException>(() =>
            _rig.Device.Activate(new SharpVirt.Devices.Virtio.VirtioActivation(_rig.Memory, 1UL << 32, [driver.Config], _rig.Interrupt)));
    }
}
