using SharpVirt.Devices.Tests.Legacy;
using SharpVirt.Devices.Virtio;
using SharpVirt.Devices.Virtio.Transport.Mmio;
using SharpVirt.Memory;
using R = SharpVirt.Devices.Virtio.Transport.Mmio.VirtioMmioRegister;

namespace SharpVirt.Devices.Tests.Virtio.Transport;

public sealed class VirtioMmioConfigAndResetTests : IDisposable
{
    private static readonly ulong Version1 = VirtioFeatures.Bit(VirtioFeatures.Version1);

    private readonly GuestMemory _memory = GuestMemory.Create([(0, 0x10000)]);
    private readonly FakeVirtioDevice _device = new(1, VirtioFeatures.Bit(VirtioFeatures.Version1) | 1, 256, 256);
    private readonly RecordingInterrupt _irq = new();
    private readonly VirtioMmioTransport _t;

    public VirtioMmioConfigAndResetTests() => _t = new VirtioMmioTransport(_device, _memory, _irq);

    public void Dispose() => _memory.Dispose();

    [Fact]
    public void Config_space_is_forwarded_with_offset_and_width()
    {
        for (var i = 0; i < _device.Config.Length; i++)
        {
            _device.Config[i] = (byte)(0x10 + i);
        }

        var b = new byte[1];
        _t.Read(0x100, b);
        Assert.Equal(0x10, b[0]);
        var w = new byte[2];
        _t.Read(0x106, w);
        Assert.Equal([0x16, 0x17], w);
        Assert.Equal(0x1b1a1918u, _t.Get(0x108));
        var tail = new byte[4];
        _t.Read(0x1fc, tail);
        Assert.Equal([(0u, 1), (6u, 2), (8u, 4), (0xfcu, 4)], _device.ConfigReads);

        _t.Write(0x101, [0xaa]);
        _t.Write(0x104, [1, 2]);
        _t.Set(0x10c, 0x04030201);
        var writes = _device.ConfigWrites;
        Assert.Equal(3, writes.Count);
        Assert.Equal([1u, 4u, 12u], writes.Select(w => w.Offset));
        Assert.Equal([0xaa], writes[0].Data);
        Assert.Equal([1, 2], writes[1].Data);
        Assert.Equal([1, 2, 3, 4], writes[2].Data);
        Assert.Equal(0, _t.Metrics.InvalidAccesses.Value);
    }

    [Fact]
    public void Config_accesses_past_the_window_or_8_bytes_wide_are_refused()
    {
        var data = new byte[8];
        Array.Fill(data, (byte)0xff);
        _t.Read(0x100, data); // 8 bytes
        Assert.Equal(new byte[8], data);
        _t.Read(0x1fe, new byte[4]); // crosses 0x200
        _t.Write(0x1ff, [1, 2]);
        _t.Write(0x100, new byte[3]);
        Assert.Empty(_device.ConfigReads);
        Assert.Empty(_device.ConfigWrites);
        Assert.Equal(4, _t.Metrics.InvalidAccesses.Value);
    }

    [Fact]
    public void Status_zero_resets_the_device_and_every_register()
    {
        Assert.True(_t.Negotiate(Version1 | 1));
        Assert.Equal(1, _device.Resets);
        _t.SetUpQueue(0, 128, 0x1000, 0x2000, 0x3000);
        _t.Set(R.DeviceFeaturesSel, 1);
        _t.AddStatus(VirtioDeviceStatus.DriverOk);
        Assert.Single(_device.Activations).Interrupt.SignalUsedBuffer(0);
        _t.Set(R.QueueSel, 1);

        _t.Set(R.Status, 0);

        Assert.Equal(2, _device.Resets);
        Assert.Equal(2, _t.Metrics.Resets.Value);
        Assert.Equal(0u, _t.Get(R.Status));
        Assert.Equal(0u, _t.Get(R.InterruptStatus));
        Assert.Equal(1, _irq.Pulses);
        Assert.Equal(0UL, _t.DriverFeatures);
        Assert.Equal(1u, _t.Get(R.DeviceFeatures)); // selector back to the low half
        Assert.All(_t.Queues, q => Assert.Equal(new QueueConfig(0, 0, 0, 0, false), q));
        Assert.Equal(0u, _t.Get(R.QueueReady)); // QueueSel back to 0: queue 0 was ready before
        _t.Set(R.QueueNotify, 0);
        Assert.Empty(_device.Notifications);

        Assert.True(_t.Negotiate(Version1)); // and it comes up again
        _t.SetUpQueue(0, 256, 0x1000, 0x2000, 0x3000);
        _t.AddStatus(VirtioDeviceStatus.DriverOk);
        Assert.Equal(2, _device.Activations.Count);
        Assert.Equal(Version1, _device.Activations[1].AckedFeatures);
    }

    [Fact]
    public void Status_transitions_out_of_order_are_ignored()
    {
        _t.Set(R.Status, (uint)VirtioDeviceStatus.Driver); // DRIVER without ACKNOWLEDGE
        Assert.Equal(0u, _t.Get(R.Status));
        _t.Set(R.Status, 0x0f); // everything at once: DRIVER_OK before FEATURES_OK was accepted
        Assert.Equal(0u, _t.Get(R.Status));
        _t.AddStatus(VirtioDeviceStatus.Acknowledge);
        _t.Set(R.Status, 0x30); // reserved bits
        _t.Set(R.Status, 0x100);
        _t.Set(R.Status, (uint)VirtioDeviceStatus.Driver); // clears ACKNOWLEDGE
        Assert.Equal(1u, _t.Get(R.Status));
        Assert.Equal(5, _t.Metrics.InvalidAccesses.Value);
        Assert.Empty(_device.Activations);
    }

    [Fact]
    public void Failed_is_accepted_and_blocks_activation()
    {
        Assert.True(_t.Negotiate(Version1));
        _t.AddStatus(VirtioDeviceStatus.Failed);
        Assert.Equal(0x8bu, _t.Get(R.Status));
        _t.AddStatus(VirtioDeviceStatus.DriverOk);
        Assert.Empty(_device.Activations);
    }

    [Fact]
    public void Hostile_accesses_never_throw_and_are_counted()
    {
        var one = new byte[1];
        var eight = new byte[8];
        _t.Read(0x200, new byte[4]);
        _t.Read(ulong.MaxValue, new byte[4]);
        _t.Read(ulong.MaxValue - 1, eight);
        _t.Read(R.MagicValue, one);
        _t.Read(R.MagicValue, eight);
        _t.Read(0x002, new byte[4]); // misaligned
        _t.Read(R.Status, new byte[2]);
        _t.Read(R.QueueNotify, new byte[4]); // write-only
        _t.Read(0x0f0, new byte[4]); // reserved
        _t.Read(0x100, []);
        Assert.Equal(10, _t.Metrics.InvalidAccesses.Value);
        Assert.Equal(new byte[8], eight);
        Assert.Equal(0, one[0]);

        _t.Write(0x200, new byte[4]);
        _t.Write(ulong.MaxValue, [1]);
        _t.Write(R.Status, [1]); // byte write to a 32-bit register
        _t.Write(R.Status, new byte[8]);
        _t.Set(R.MagicValue, 0);
        _t.Set(R.Version, 1);
        _t.Set(R.DeviceId, 9);
        _t.Set(R.QueueNumMax, 9);
        _t.Set(R.InterruptStatus, 3);
        _t.Set(R.ConfigGeneration, 7);
        _t.Set(R.QueueSel, 99); // accepted, but the queue does not exist
        _t.Set(R.QueueNum, 16);
        _t.Set(R.QueueReady, 1);
        _t.Set(R.DriverFeaturesSel, 7);
        _t.Set(R.DriverFeatures, 1);
        Assert.Equal(10 + 13, _t.Metrics.InvalidAccesses.Value);
        Assert.Equal(0u, _t.Get(R.Status));
        Assert.Equal(0x74726976u, _t.Get(R.MagicValue));
        Assert.Equal(0, _device.Resets);
    }

    [Fact]
    public void Shared_memory_regions_do_not_exist()
    {
        _t.Set(R.ShmSel, 0);
        Assert.Equal(uint.MaxValue, _t.Get(R.ShmLenLow));
        Assert.Equal(uint.MaxValue, _t.Get(R.ShmLenHigh));
        Assert.Equal(0, _t.Metrics.InvalidAccesses.Value);
    }

    [Fact]
    public void Kernel_command_line_parameter()
    {
        Assert.Equal("virtio_mmio.device=0x200@0xd0000000:5", VirtioMmioCmdline.DeviceParameter(0xd000_0000, 5));
        Assert.Equal("virtio_mmio.device=0x1000@0x1000:12", VirtioMmioCmdline.DeviceParameter(0x1000, 12, 0x1000));
        Assert.Throws<ArgumentOutOfRangeException>(() => VirtioMmioCmdline.DeviceParameter(ulong.MaxValue, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => VirtioMmioCmdline.DeviceParameter(0, 5, 0));
    }
}
