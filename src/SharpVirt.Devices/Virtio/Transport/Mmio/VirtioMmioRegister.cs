namespace SharpVirt.Devices.Virtio.Transport.Mmio;

/// <summary>
/// Register offsets and fixed values of the virtio-mmio transport, version 2 (virtio 1.2, section 4.2.2).
/// Every register is 32 bits wide and little-endian; the device configuration space starts at <see cref="Config"/>.
/// </summary>
public static class VirtioMmioRegister
{
    /// <summary>Size of one device's MMIO window (registers plus configuration space).</summary>
    public const ulong RegionSize = 0x200;

    /// <summary>Value of <see cref="MagicValue"/>: the ASCII bytes "virt" read as a little-endian 32-bit value.</summary>
    public const uint Magic = 0x74726976;

    /// <summary>Value of <see cref="Version"/>: 2, the modern (virtio 1.0+) layout.</summary>
    public const uint TransportVersion = 2;

    /// <summary>
    /// Value of <see cref="VendorId"/>: "SVRT" (0x53 'S', 0x56 'V', 0x52 'R', 0x54 'T', read as a big-endian number).
    /// Drivers do not interpret it; it only tells a curious guest who emulates the device.
    /// </summary>
    public const uint SharpVirtVendorId = 0x53565254;

    /// <summary>R: magic value "virt".</summary>
    public const ulong MagicValue = 0x000;
    /// <summary>R: transport version.</summary>
    public const ulong Version = 0x004;
    /// <summary>R: virtio device type (0 would mean "no device").</summary>
    public const ulong DeviceId = 0x008;
    /// <summary>R: vendor ID.</summary>
    public const ulong VendorId = 0x00c;
    /// <summary>R: the 32 feature bits selected by <see cref="DeviceFeaturesSel"/>.</summary>
    public const ulong DeviceFeatures = 0x010;
    /// <summary>W: selects features 0-31 (0) or 32-63 (1).</summary>
    public const ulong DeviceFeaturesSel = 0x014;
    /// <summary>W: the 32 acknowledged feature bits selected by <see cref="DriverFeaturesSel"/>.</summary>
    public const ulong DriverFeatures = 0x020;
    /// <summary>W: selects which half <see cref="DriverFeatures"/> writes.</summary>
    public const ulong DriverFeaturesSel = 0x024;
    /// <summary>W: selects the queue the Queue* registers address.</summary>
    public const ulong QueueSel = 0x030;
    /// <summary>R: maximum size of the selected queue (0: no such queue).</summary>
    public const ulong QueueNumMax = 0x034;
    /// <summary>W: size of the selected queue.</summary>
    public const ulong QueueNum = 0x038;
    /// <summary>RW: the selected queue is ready (1) or not (0).</summary>
    public const ulong QueueReady = 0x044;
    /// <summary>W: the driver has new buffers in the queue whose index is written.</summary>
    public const ulong QueueNotify = 0x050;
    /// <summary>R: pending interrupt causes (<see cref="InterruptUsedBuffer"/>, <see cref="InterruptConfigChange"/>).</summary>
    public const ulong InterruptStatus = 0x060;
    /// <summary>W: acknowledges the interrupt causes written.</summary>
    public const ulong InterruptAck = 0x064;
    /// <summary>RW: device status byte (<see cref="VirtioDeviceStatus"/>); writing 0 resets the device.</summary>
    public const ulong Status = 0x070;
    /// <summary>W: descriptor table address, low 32 bits.</summary>
    public const ulong QueueDescLow = 0x080;
    /// <summary>W: descriptor table address, high 32 bits.</summary>
    public const ulong QueueDescHigh = 0x084;
    /// <summary>W: driver (available) ring address, low 32 bits.</summary>
    public const ulong QueueDriverLow = 0x090;
    /// <summary>W: driver (available) ring address, high 32 bits.</summary>
    public const ulong QueueDriverHigh = 0x094;
    /// <summary>W: device (used) ring address, low 32 bits.</summary>
    public const ulong QueueDeviceLow = 0x0a0;
    /// <summary>W: device (used) ring address, high 32 bits.</summary>
    public const ulong QueueDeviceHigh = 0x0a4;
    /// <summary>W: selects a shared memory region.</summary>
    public const ulong ShmSel = 0x0ac;
    /// <summary>R: length of the selected shared memory region, low 32 bits (all ones: no such region).</summary>
    public const ulong ShmLenLow = 0x0b0;
    /// <summary>R: length of the selected shared memory region, high 32 bits.</summary>
    public const ulong ShmLenHigh = 0x0b4;
    /// <summary>R: base of the selected shared memory region, low 32 bits.</summary>
    public const ulong ShmBaseLow = 0x0b8;
    /// <summary>R: base of the selected shared memory region, high 32 bits.</summary>
    public const ulong ShmBaseHigh = 0x0bc;
    /// <summary>RW: queue reset (VIRTIO_F_RING_RESET, not offered: reads 0).</summary>
    public const ulong QueueReset = 0x0c0;
    /// <summary>R: configuration atomicity value, changes whenever the device changes its configuration.</summary>
    public const ulong ConfigGeneration = 0x0fc;
    /// <summary>Start of the device-specific configuration space (8-, 16- and 32-bit accesses).</summary>
    public const ulong Config = 0x100;

    /// <summary><see cref="InterruptStatus"/> bit: a queue has new used buffers.</summary>
    public const uint InterruptUsedBuffer = 1;
    /// <summary><see cref="InterruptStatus"/> bit: the device configuration changed.</summary>
    public const uint InterruptConfigChange = 2;
}
