namespace SharpVirt.Devices.Virtio.Transport.Mmio;

/// <summary>The device status byte (virtio 1.2, section 2.1).</summary>
[Flags]
public enum VirtioDeviceStatus : byte
{
    /// <summary>Reset state: nothing negotiated.</summary>
    None = 0,
    /// <summary>The guest noticed the device.</summary>
    Acknowledge = 1,
    /// <summary>The guest has a driver for the device.</summary>
    Driver = 2,
    /// <summary>The driver is set up and the device is live.</summary>
    DriverOk = 4,
    /// <summary>Feature negotiation is complete (kept only if the device accepts the driver's features).</summary>
    FeaturesOk = 8,
    /// <summary>The device hit an error it cannot recover from without a reset (set by the device only).</summary>
    DeviceNeedsReset = 64,
    /// <summary>The driver gave up on the device.</summary>
    Failed = 128,
}
