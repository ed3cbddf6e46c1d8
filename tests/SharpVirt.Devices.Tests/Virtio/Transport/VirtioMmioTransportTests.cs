using SharpVirt.Devices.Tests.Legacy;
using SharpVirt.Devices.Virtio;
using SharpVirt.Devices.Virtio.Transport.Mmio;
using SharpVirt.Memory;
using R = SharpVirt.Devices.Virtio.Transport.Mmio.VirtioMmioRegister;

namespace SharpVirt.Devices.Tests.Virtio.Transport;

public sealed class VirtioMmioTransportTests : IDisposable
{
    private static readonly ulong Version1 = VirtioFeatures.Bit(VirtioFeatures.Version1);
    private static readonly ulong Offered = Version1 | VirtioFeatures.Bit(VirtioFeatures.RingEventIdx) | (1UL << 5) | (1UL << 34);

    private readonly GuestMemory _memory = GuestMemory.Create([(0, 0x10000)]);
    private readonly FakeVirtioDevice _device = new(2, Offered, 256, 128);
    private readonly RecordingInterrupt _irq = new();
    private readonly VirtioMmioTransport _t;

    public VirtioMmioTransportTests() => _t = new VirtioMmioTransport(_device, _memory, _irq);

    public void Dispose() => _memory.Dispose();

    private void BringUp()
    {
        Assert.True(_t.Negotiate(Version1 | (1UL << 5)));
        _t.SetUpQueue(0, 256, 0x1000, 0x2000, 0x3000);
        _t.SetUpQueue(1, 128, 0x4000, 0x5000, 0x6000);
        _t.AddStatus(VirtioDeviceStatus.DriverOk);
    }

    [Fact]
    public void Identification_registers()
    {
        Assert.Equal(0x74726976u, _t.Get(R.MagicValue));
        Assert.Equal(2u, _t.Get(R.Version));
        Assert.Equal(2u, _t.Get(R.DeviceId));
        Assert.Equal(0x53565254u, _t.Get(R.VendorId));
        Assert.Equal(0u, _t.Metrics.InvalidAccesses.Value);
    }

    [Fact]
    public void Device_features_are_read_in_two_halves()
    {
        Assert.Equal(Offered, _t.ReadDeviceFeatures());
        _t.Set(R.DeviceFeaturesSel, 2);
        Assert.Equal(0u, _t.Get(R.DeviceFeatures));
    }

    [Fact]
    public void Driver_features_are_written_in_two_halves()
    {
        var wanted = Version1 | (1UL << 34) | (1UL << 5);
        Assert.True(_t.Negotiate(wanted));
        Assert.Equal(wanted, _t.DriverFeatures);
        Assert.Equal(0xbu, _t.Get(R.Status));
    }

    [Fact]
    public void Features_ok_is_refused_for_a_feature_the_device_lacks()
    {
        Assert.False(_t.Negotiate(Version1 | (1UL << 6)));
        Assert.Equal(3u, _t.Get(R.Status));
        Assert.Equal(1, _t.Metrics.FeaturesRejected.Value);
    }

    [Fact]
    public void Features_ok_is_refused_without_version_1()
    {
        Assert.False(_t.Negotiate(1UL << 5));
        Assert.Equal(1, _t.Metrics.FeaturesRejected.Value);
        // DRIVER_OK cannot follow a refused FEATURES_OK.
        _t.AddStatus(VirtioDeviceStatus.DriverOk);
        Assert.Empty(_device.Activations);
    }

    [Fact]
    public void Driver_features_cannot_change_after_features_ok()
    {
        Assert.True(_t.Negotiate(Version1));
        _t.Set(R.DriverFeaturesSel, 0);
        _t.Set(R.DriverFeatures, 1u << 5);
        Assert.Equal(Version1, _t.DriverFeatures);
        Assert.Equal(1, _t.Metrics.InvalidAccesses.Value);
    }

    [Fact]
    public void Linux_driver_sequence_activates_the_device_once()
    {
        Assert.Equal(256u, Max(0));
        Assert.True(_t.Negotiate(Version1 | (1UL << 5)));
        Assert.Equal(Offered, _t.ReadDeviceFeatures());
        _t.SetUpQueue(0, 256, 0x1_0000_1000, 0x1_0000_2000, 0x1_0000_3000);
        _t.SetUpQueue(1, 64, 0x2_0000_4000, 0x2_0000_5000, 0x2_0000_6000);
        _t.Set(R.QueueSel, 2);
        Assert.Equal(0u, _t.Get(R.QueueNumMax));
        Assert.Empty(_device.Activations);
        _t.AddStatus(VirtioDeviceStatus.DriverOk);

        var activation = Assert.Single(_device.Activations);
        Assert.Same(_memory, activation.Memory);
        Assert.Equal(Version1 | (1UL << 5), activation.AckedFeatures);
        Assert.Equal(
            [new QueueConfig(256, 0x1_0000_1000, 0x1_0000_2000, 0x1_0000_3000, true),
             new QueueConfig(64, 0x2_0000_4000, 0x2_0000_5000, 0x2_0000_6000, true)],
            activation.Queues);
        Assert.Equal(0xfu, _t.Get(R.Status));
        Assert.Equal(1, _t.Metrics.Activations.Value);
        Assert.Equal(0, _t.Metrics.InvalidAccesses.Value);

        _t.AddStatus(VirtioDeviceStatus.DriverOk); // writing the same status again does not re-activate
        Assert.Single(_device.Activations);
    }

    private uint Max(uint queue)
    {
        _t.Set(R.QueueSel, queue);
        return _t.Get(R.QueueNumMax);
    }

    [Fact]
    public void Queue_num_max_reports_each_queue()
    {
        Assert.Equal(256u, Max(0));
        Assert.Equal(128u, Max(1));
        Assert.Equal(0u, Max(2));
        Assert.Equal(0u, Max(uint.MaxValue));
    }

    [Fact]
    public void Queue_registers_are_ignored_while_the_queue_is_ready()
    {
        Assert.True(_t.Negotiate(Version1));
        _t.SetUpQueue(0, 256, 0x1000, 0x2000, 0x3000);
        _t.Set(R.QueueNum, 16);
        _t.Set(R.QueueDescLow, 0x8000);
        _t.Set(R.QueueDeviceHigh, 1);
        Assert.Equal(3, _t.Metrics.InvalidAccesses.Value);
        Assert.Equal(1u, _t.Get(R.QueueReady));
        Assert.Equal(new QueueConfig(256, 0x1000, 0x2000, 0x3000, true), _t.Queues[0]);

        _t.Set(R.QueueReady, 0); // disabled, the layout can change again
        _t.Set(R.QueueNum, 16);
        _t.Set(R.QueueReady, 1);
        Assert.Equal(new QueueConfig(16, 0x1000, 0x2000, 0x3000, true), _t.Queues[0]);
    }

    [Theory]
    [InlineData(100u)]
    [InlineData(512u)]
    [InlineData(0u)]
    [InlineData(0x1_0000u)]
    public void Queue_ready_is_refused_for_a_bad_size(uint size)
    {
        Assert.True(_t.Negotiate(Version1));
        _t.SetUpQueue(0, size, 0x1000, 0x2000, 0x3000);
        Assert.Equal(0u, _t.Get(R.QueueReady));
        Assert.Equal(1, _t.Metrics.InvalidAccesses.Value);
        Assert.False(_t.Queues[0].Ready);
    }

    [Fact]
    public void Queue_ready_is_refused_for_misaligned_rings()
    {
        Assert.True(_t.Negotiate(Version1));
        _t.SetUpQueue(0, 256, 0x1008, 0x2000, 0x3000);
        _t.SetUpQueue(1, 128, 0x4000, 0x5001, 0x6000);
        Assert.False(_t.Queues[0].Ready);
        Assert.False(_t.Queues[1].Ready);
        Assert.Equal(2, _t.Metrics.InvalidAccesses.Value);
    }

    [Fact]
    public void Unready_queues_are_handed_over_as_not_ready()
    {
        Assert.True(_t.Negotiate(Version1));
        _t.SetUpQueue(0, 256, 0x1000, 0x2000, 0x3000);
        _t.AddStatus(VirtioDeviceStatus.DriverOk);
        var queues = Assert.Single(_device.Activations).Queues;
        Assert.True(queues[0].Ready);
        Assert.False(queues[1].Ready);
    }

    [Fact]
    public void Queue_notify_is_routed_only_after_driver_ok_and_for_valid_queues()
    {
        Assert.True(_t.Negotiate(Version1));
        _t.SetUpQueue(0, 256, 0x1000, 0x2000, 0x3000);
        _t.Set(R.QueueNotify, 0); // before DRIVER_OK
        Assert.Empty(_device.Notifications);
        _t.AddStatus(VirtioDeviceStatus.DriverOk);

        _t.Set(R.QueueNotify, 0);
        _t.Set(R.QueueNotify, 1); // exists but not ready
        _t.Set(R.QueueNotify, 2);
        _t.Set(R.QueueNotify, uint.MaxValue);
        _t.Set(R.QueueNotify, 0);
        Assert.Equal([0, 0], _device.Notifications);
        Assert.Equal(2, _t.Metrics.Notifications.Value);
        Assert.Equal(4, _t.Metrics.InvalidAccesses.Value);
    }

    [Fact]
    public void Each_signal_sends_one_edge_and_sets_its_cause_until_acknowledged()
    {
        BringUp();
        var interrupt = Assert.Single(_device.Activations).Interrupt;
        interrupt.SignalUsedBuffer(0);
        interrupt.SignalUsedBuffer(1);
        Assert.Equal(1u, _t.Get(R.InterruptStatus));
        Assert.Equal(2, _irq.Pulses);
        Assert.Empty(_irq.Levels); // an edge-triggered line: no level is ever held

        interrupt.SignalConfigChange();
        Assert.Equal(3u, _t.Get(R.InterruptStatus));
        Assert.Equal(3, _irq.Pulses);
        _t.Set(R.InterruptAck, 1);
        Assert.Equal(2u, _t.Get(R.InterruptStatus));
        _t.Set(R.InterruptAck, 2);
        Assert.Equal(0u, _t.Get(R.InterruptStatus));
        Assert.Equal(3, _irq.Pulses); // acknowledging sends nothing
    }

    [Fact]
    public void Config_change_bumps_the_generation()
    {
        BringUp();
        var interrupt = Assert.Single(_device.Activations).Interrupt;
        Assert.Equal(0u, _t.Get(R.ConfigGeneration));
        interrupt.SignalConfigChange();
        interrupt.SignalConfigChange();
        Assert.Equal(2u, _t.Get(R.ConfigGeneration));
        Assert.Equal(2u, _t.Get(R.InterruptStatus));
        Assert.Equal(2, _irq.Pulses);
    }

    [Fact]
    public void Interrupts_from_before_a_reset_are_dropped()
    {
        BringUp();
        var stale = Assert.Single(_device.Activations).Interrupt;
        stale.SignalUsedBuffer(0);
        _t.Set(R.Status, 0);
        Assert.Equal(1, _irq.Pulses);
        stale.SignalUsedBuffer(0);
        stale.SignalConfigChange();
        Assert.Equal(0u, _t.Get(R.InterruptStatus));
        Assert.Equal(0u, _t.Get(R.ConfigGeneration));
        Assert.Equal(1, _irq.Pulses);
    }

    [Fact]
    public void Interrupts_from_device_threads_are_safe()
    {
        BringUp();
        var interrupt = Assert.Single(_device.Activations).Interrupt;
        var threads = Enumerable.Range(0, 4).Select(i => new Thread(() =>
        {
            for (var n = 0; n < 2000; n++)
            {
                interrupt.SignalUsedBuffer(i % 2);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        for (var n = 0; n < 2000; n++)
        {
            _t.Set(R.InterruptAck, _t.Get(R.InterruptStatus));
        }

        threads.ForEach(t => t.Join());
        Assert.Equal(8000, _irq.Pulses); // every signal is an edge, none lost to the races
        _t.Set(R.InterruptAck, _t.Get(R.InterruptStatus));
        Assert.Equal(0u, _t.Get(R.InterruptStatus));
    }
}
