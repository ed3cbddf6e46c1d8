using SharpVirt.Devices.Tests.Legacy;
using SharpVirt.Devices.Virtio;
using SharpVirt.Devices.Virtio.Transport.Mmio;
using SharpVirt.Memory;
using R = SharpVirt.Devices.Virtio.Transport.Mmio.VirtioMmioRegister;

namespace SharpVirt.Devices.Tests.Virtio.Transport;

/// <summary>A transport's registers saved and restored into a new transport, which activates its device again.</summary>
public sealed class VirtioMmioSnapshotTests : IDisposable
{
    private static readonly ulong Version1 = VirtioFeatures.Bit(VirtioFeatures.Version1);
    private readonly GuestMemory _memory = GuestMemory.Create([(0, 0x10000)]);

    public void Dispose() => _memory.Dispose();

    [Fact]
    public void A_restored_transport_has_the_same_registers_and_activates_its_device_at_the_saved_positions()
    {
        var first = new VirtioMmioTransport(new FakeVirtioDevice(2, Version1 | (1UL << 5), 256, 128), _memory, new RecordingInterrupt());
        Assert.True(first.Negotiate(Version1 | (1UL << 5)));
        first.SetUpQueue(0, 256, 0x1000, 0x2000, 0x3000);
        first.SetUpQueue(1, 128, 0x4000, 0x5000, 0x6000);
        first.AddStatus(VirtioDeviceStatus.DriverOk);
        var saved = first.SaveState();

        var device = new FakeVirtioDevice(2, Version1 | (1UL << 5), 256, 128);
        var irq = new RecordingInterrupt();
        var second = new VirtioMmioTransport(device, _memory, irq);
        second.RestoreState(saved, [new QueuePosition(7, 5), null]);

        Assert.Equal(first.Get(R.Status), second.Get(R.Status));
        var again = second.SaveState();
        Assert.Equal(saved.Queues, again.Queues);
        Assert.Equal(saved with { Queues = again.Queues, InterruptStatus = again.InterruptStatus }, again);
        var activation = Assert.Single(device.Activations);
        Assert.Equal(Version1 | (1UL << 5), activation.AckedFeatures);
        Assert.Equal(new QueueConfig(128, 0x4000, 0x5000, 0x6000, true), activation.Queues[1]);
        Assert.Equal(new QueuePosition(7, 5), activation.Positions![0]);
        Assert.True(irq.Pulses > 0, "the restored device did not interrupt its driver once");
        Assert.Equal(R.InterruptUsedBuffer, second.Get(R.InterruptStatus) & R.InterruptUsedBuffer);
    }

    [Fact]
    public void A_saved_state_that_does_not_fit_the_device_is_refused()
    {
        var transport = new VirtioMmioTransport(new FakeVirtioDevice(2, Version1, 256), _memory, new RecordingInterrupt());
        var twoQueues = new MmioTransportState(0xf, 0, 0, Version1, 0, 0, 0,
            [new MmioQueueState(256, 0x1000, 0x2000, 0x3000, true), new MmioQueueState(128, 0x4000, 0x5000, 0x6000, true)]);
        Assert.Throws<ArgumentException>(() => transport.RestoreState(twoQueues, []));
        var tooBig = twoQueues with { Queues = [new MmioQueueState(512, 0x1000, 0x2000, 0x3000, true)] };
        Assert.Throws<ArgumentException>(() => transport.RestoreState(tooBig, []));
        var foreignFeatures = twoQueues with { DriverFeatures = Version1 | (1UL << 40), Queues = [new MmioQueueState(256, 0x1000, 0x2000, 0x3000, true)] };
        Assert.Throws<ArgumentException>(() => transport.RestoreState(foreignFeatures, []));
    }
}
