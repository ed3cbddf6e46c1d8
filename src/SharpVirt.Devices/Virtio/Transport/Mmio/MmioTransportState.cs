namespace SharpVirt.Devices.Virtio.Transport.Mmio;

/// <summary>One queue's registers as the driver wrote them.</summary>
public sealed record MmioQueueState(uint Size, ulong DescriptorTable, ulong AvailableRing, ulong UsedRing, bool Ready);

/// <summary>A virtio-mmio transport's registers, as a snapshot keeps them.</summary>
public sealed record MmioTransportState(
    uint Status, uint DeviceFeaturesSel, uint DriverFeaturesSel, ulong DriverFeatures, uint QueueSel,
    uint InterruptStatus, uint ConfigGeneration, IReadOnlyList<MmioQueueState> Queues);
