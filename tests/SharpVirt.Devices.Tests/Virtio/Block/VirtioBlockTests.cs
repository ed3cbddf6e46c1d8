using System.Buffers.Binary;
using System.Diagnostics;
using SharpVirt.Devices.Tests.Virtio.Rng;
using SharpVirt.Devices.Virtio;
using SharpVirt.Devices.Virtio.Block;
using static SharpVirt.Devices.Tests.Virtio.Block.BlockTestRig;

namespace SharpVirt.Devices.Tests.Virtio.Block;

/// <summary>The block device serving well-formed requests.</summary>
public sealed class VirtioBlockTests : IDisposable
{
    private readonly BlockTestRig _rig = new(imageBytes: 64 * 1024, serial: "sharpvirt-disk-0");

    public void Dispose() => _rig.Dispose();

    [Fact]
    public void Identity_features_and_queues()
    {
        var device = _rig.Device;
        Assert.Equal(2u, device.DeviceType);
        Assert.Equal([(ushort)256], device.QueueMaxSizes);
        var expected = (1UL << 32) | (1UL << 28) | (1UL << 29) | (1UL << 14) | (1UL << 13) | (1UL << 9) | (1UL << 6) | (1UL << 2);
        Assert.Equal(expected, device.AvailableFeatures);
        Assert.Equal(0UL, device.AvailableFeatures & (1UL << 5));
        Assert.False(device.IsActive);
    }

    [Fact]
    public void Config_space_has_capacity_seg_max_and_blk_size()
    {
        var config = new byte[32];
        Array.Fill(config, (byte)0xff);
        _rig.Device.ReadConfig(0, config);
        Assert.Equal(128UL, BinaryPrimitives.ReadUInt64LittleEndian(config));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(config.AsSpan(8)));
        Assert.Equal(254u, BinaryPrimitives.ReadUInt32LittleEndian(config.AsSpan(12)));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(config.AsSpan(16)));
        Assert.Equal(512u, BinaryPrimitives.ReadUInt32LittleEndian(config.AsSpan(20)));
        Assert.All(config[24..], b => Assert.Equal(0, b));

        var part = new byte[4];
        _rig.Device.ReadConfig(20, part);
        Assert.Equal(512u, BinaryPrimitives.ReadUInt32LittleEndian(part));
        _rig.Device.ReadConfig(uint.MaxValue, part);
        Assert.All(part, b => Assert.Equal(0, b));
        _rig.Device.WriteConfig(0, [1, 2, 3, 4]);
        _rig.Device.ReadConfig(0, part);
        Assert.Equal(128u, BinaryPrimitives.ReadUInt32LittleEndian(part));
    }

    [Fact]
    public void Partial_last_sector_is_not_exposed()
    {
        using var rig = new BlockTestRig(imageBytes: (3 * 512) + 100);
        Assert.Equal(3UL, rig.Device.CapacitySectors);
    }

    [Fact]
    public void Write_then_read_back_through_the_device_and_the_host_file()
    {
        _rig.Activate();
        var payload = Pattern(4096, 1);
        _rig.Memory.Write(Data, payload);
        _rig.WriteHeader(Out, 8);
        _rig.PoisonStatus();
        var w = _rig.Driver.AddChain((Header, 16, false), (Data, 4096, false), (Status, 1, true));
        _rig.Notify();
        _rig.WaitForUsed(1);
        Assert.Equal((w, 1u), _rig.Driver.ReadUsed(0));
        Assert.Equal(0, _rig.StatusByte());

        var image = _rig.ReadImage();
        Assert.Equal(payload, image[(8 * 512)..((8 * 512) + 4096)]);
        Assert.Equal(unchecked((byte)(((8 * 512) - 1) * 7)), image[(8 * 512) - 1]);

        const ulong readBack = Data + 0x2000;
        _rig.WriteHeader(In, 8, Header + 0x20);
        _rig.PoisonStatus(Status + 1);
        var r = _rig.Driver.AddChain((Header + 0x20, 16, false), (readBack, 4096, true), (Status + 1, 1, true));
        _rig.Notify();
        _rig.WaitForUsed(2);
        Assert.Equal((r, 4097u), _rig.Driver.ReadUsed(1));
        Assert.Equal(0, _rig.StatusByte(Status + 1));
        Assert.Equal(payload, _rig.ReadGuest(readBack, 4096));

        Assert.True(RngTestRig.WaitFor(() => _rig.Device.Metrics.ReadRequests.Value == 1));
        Assert.Equal(1, _rig.Device.Metrics.WriteRequests.Value);
        Assert.Equal(4096, _rig.Device.Metrics.BytesWritten.Value);
        Assert.Equal(4096, _rig.Device.Metrics.BytesRead.Value);
        Assert.Equal(0, _rig.Device.Metrics.Errors.Value);
        Assert.True(_rig.Interrupt.UsedBufferSignals >= 1);
    }

    [Fact]
    public void Multi_buffer_read_with_status_in_the_last_data_buffer_and_indirect_table()
    {
        _rig.Activate(RngTestRig.AllFeatures);
        var image = _rig.ReadImage();
        _rig.WriteHeader(In, 2);
        // 512 + 1024 + (512 data + 1 status in one buffer): any layout is allowed with VERSION_1.
        var head = _rig.Driver.AddIndirect(
            MockQueue.DataArea + 0x800,
            (Header, 16, false), (Data, 512, true), (Data + 0x1000, 1024, true), (Data + 0x2000, 513, true));
        _rig.Notify();
        _rig.WaitForUsed(1);
        Assert.Equal((head, 2049u), _rig.Driver.ReadUsed(0));
        Assert.Equal(image[1024..1536], _rig.ReadGuest(Data, 512));
        Assert.Equal(image[1536..2560], _rig.ReadGuest(Data + 0x1000, 1024));
        Assert.Equal(image[2560..3072], _rig.ReadGuest(Data + 0x2000, 512));
        Assert.Equal(0, _rig.StatusByte(Data + 0x2000 + 512));
    }

    [Fact]
    public void Large_write_spanning_several_bounce_chunks_reaches_the_file()
    {
        using var rig = new BlockTestRig(imageBytes: 1 << 20);
        rig.Activate();
        var payload = Pattern(300 * 1024, 2);
        rig.Memory.Write(Data, payload);
        rig.WriteHeader(Out, 16);
        rig.Driver.AddChain((Header, 16, false), (Data, (uint)payload.Length, false), (Status, 1, true));
        rig.Notify();
        rig.WaitForUsed(1);
        Assert.Equal(0, rig.StatusByte());
        Assert.Equal(payload, rig.ReadImage()[(16 * 512)..((16 * 512) + payload.Length)]);
    }

    [Fact]
    public void Flush_returns_ok()
    {
        _rig.Activate();
        _rig.WriteHeader(Flush, 0);
        _rig.PoisonStatus();
        var head = _rig.Driver.AddChain((Header, 16, false), (Status, 1, true));
        _rig.Notify();
        _rig.WaitForUsed(1);
        Assert.Equal((head, 1u), _rig.Driver.ReadUsed(0));
        Assert.Equal(0, _rig.StatusByte());
        Assert.True(RngTestRig.WaitFor(() => _rig.Device.Metrics.FlushRequests.Value == 1));
    }

    [Fact]
    public void Get_id_returns_the_serial_nul_padded()
    {
        _rig.Activate();
        _rig.WriteHeader(GetId, 0);
        _rig.Memory.Write(Data, Enumerable.Repeat((byte)0xaa, 20).ToArray());
        var head = _rig.Driver.AddChain((Header, 16, false), (Data, 20, true), (Status, 1, true));
        _rig.Notify();
        _rig.WaitForUsed(1);
        Assert.Equal((head, 21u), _rig.Driver.ReadUsed(0));
        var expected = new byte[20];
        "sharpvirt-disk-0"u8.CopyTo(expected);
        Assert.Equal(expected, _rig.ReadGuest(Data, 20));
        Assert.Equal(0, _rig.StatusByte());
    }

    [Fact]
    public void Long_serial_is_cut_to_twenty_bytes()
    {
        using var rig = new BlockTestRig(serial: "0123456789abcdefghijKLMNOP");
        rig.Activate();
        rig.WriteHeader(GetId, 0);
        rig.Driver.AddChain((Header, 16, false), (Data, 20, true), (Status, 1, true));
        rig.Notify();
        rig.WaitForUsed(1);
        Assert.Equal("0123456789abcdefghij"u8.ToArray(), rig.ReadGuest(Data, 20));
    }

    [Fact]
    public void Queue_notify_returns_at_once_and_work_runs_on_the_device_thread()
    {
        _rig.Activate();
        for (var i = 0; i < 5; i++)
        {
            _rig.WriteHeader(In, (ulong)i * 8, Header + ((ulong)i * 0x20));
            _rig.Driver.AddChain((Header + ((ulong)i * 0x20), 16, false), (Data + ((ulong)i * 0x1000), 4096, true), (Status + (ulong)i, 1, true));
        }

        var clock = Stopwatch.StartNew();
        _rig.Notify();
        clock.Stop();
        Assert.True(clock.Elapsed < TimeSpan.FromMilliseconds(200), $"QueueNotify took {clock.Elapsed}");
        _rig.WaitForUsed(5);
        Assert.True(RngTestRig.WaitFor(() => _rig.Device.Metrics.ReadRequests.Value == 5));
    }

    [Fact]
    public void A_paused_device_serves_nothing_until_resumed()
    {
        _rig.Activate();
        _rig.Device.Pause();
        _rig.WriteHeader(In, 0);
        _rig.PoisonStatus();
        _rig.Driver.AddChain((Header, 16, false), (Data, 4096, true), (Status, 1, true));
        _rig.Notify();
        Thread.Sleep(200);
        Assert.Equal(0xee, _rig.StatusByte()); // untouched: the paused device does not write guest memory
        Assert.Equal(0, _rig.Device.Metrics.ReadRequests.Value);

        _rig.Device.Resume();
        _rig.WaitForUsed(1);
        Assert.Equal(0, _rig.StatusByte());
    }

    [Fact]
    public void Pause_waits_for_requests_the_io_threads_hold()
    {
        _rig.Activate();
        const int requests = 5; // the rig's queue holds 16 descriptors
        for (var i = 0; i < requests; i++)
        {
            var header = Header + ((ulong)i * 0x20);
            _rig.WriteHeader(Out, (ulong)i * 8, header);
            _rig.Driver.AddChain((header, 16, false), (Data + ((ulong)i * 0x1000), 4096, false), (Status + (ulong)i, 1, true));
        }

        _rig.Notify();
        Assert.True(RngTestRig.WaitFor(() => _rig.Driver.UsedIdx > 0 || _rig.Device.Metrics.WriteRequests.Value > 0));
        _rig.Device.Pause();
        var used = _rig.Driver.UsedIdx;
        var writes = _rig.Device.Metrics.WriteRequests.Value;
        Thread.Sleep(100);
        Assert.Equal(used, _rig.Driver.UsedIdx); // everything started has been answered; nothing moves now
        Assert.Equal(writes, _rig.Device.Metrics.WriteRequests.Value);

        _rig.Device.Resume();
        _rig.WaitForUsed(requests);
    }

    [Fact]
    public void Missing_image_throws_naming_the_path()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sharpvirt-missing-{Guid.NewGuid():N}.img");
        var e = Assert.Throws<BlockImageException>(() => new VirtioBlock(path, readOnly: false));
        Assert.Equal(BlockImageErrorKind.NotFound, e.Kind);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Equal(path, e.ImagePath);
    }

    [Fact]
    public void A_second_writer_of_the_same_image_is_refused()
    {
        var e = Assert.Throws<BlockImageException>(() => new VirtioBlock(_rig.ImagePath, readOnly: false));
        Assert.Equal(BlockImageErrorKind.Unavailable, e.Kind);
        Assert.Contains(_rig.ImagePath, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Releasing_the_image_for_a_migration_lets_another_writer_in_and_reclaiming_locks_it_again()
    {
        Assert.Null(_rig.Device.ReleaseHost());
        using (var destination = new VirtioBlock(_rig.ImagePath, readOnly: false))
        {
            // While the destination holds it, the source cannot take it back, and says why.
            Assert.Contains("is another VM using it?", _rig.Device.ReclaimHost(), StringComparison.Ordinal);
        }

        Assert.Null(_rig.Device.ReclaimHost());
        Assert.Throws<BlockImageException>(() => new VirtioBlock(_rig.ImagePath, readOnly: false));
    }
}
