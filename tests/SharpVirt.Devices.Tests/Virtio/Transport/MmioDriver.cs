using System.Buffers.Binary;
using SharpVirt.Devices.Virtio.Transport.Mmio;

namespace SharpVirt.Devices.Tests.Virtio.Transport;

/// <summary>32-bit register accesses and the steps of the Linux virtio-mmio driver, for tests.</summary>
internal static class MmioDriver
{
    public static uint Get(this VirtioMmioTransport t, ulong offset)
    {
        Span<byte> data = stackalloc byte[4];
        t.Read(offset, data);
        return BinaryPrimitives.ReadUInt32LittleEndian(data);
    }

    public static void Set(this VirtioMmioTransport t, ulong offset, uint value)
    {
        Span<byte> data = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(data, value);
        t.Write(offset, data);
    }

    /// <summary>Adds a status bit the way Linux does: read, or, write back.</summary>
    public static void AddStatus(this VirtioMmioTransport t, VirtioDeviceStatus bit) =>
        t.Set(VirtioMmioRegister.Status, t.Get(VirtioMmioRegister.Status) | (uint)bit);

    public static ulong ReadDeviceFeatures(this VirtioMmioTransport t)
    {
        t.Set(VirtioMmioRegister.DeviceFeaturesSel, 1);
        ulong high = t.Get(VirtioMmioRegister.DeviceFeatures);
        t.Set(VirtioMmioRegister.DeviceFeaturesSel, 0);
        return (high << 32) | t.Get(VirtioMmioRegister.DeviceFeatures);
    }

    public static void WriteDriverFeatures(this VirtioMmioTransport t, ulong features)
    {
        t.Set(VirtioMmioRegister.DriverFeaturesSel, 1);
        t.Set(VirtioMmioRegister.DriverFeatures, (uint)(features >> 32));
        t.Set(VirtioMmioRegister.DriverFeaturesSel, 0);
        t.Set(VirtioMmioRegister.DriverFeatures, (uint)features);
    }

    /// <summary>Reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK; returns whether FEATURES_OK stuck.</summary>
    public static bool Negotiate(this VirtioMmioTransport t, ulong features)
    {
        t.Set(VirtioMmioRegister.Status, 0);
        t.AddStatus(VirtioDeviceStatus.Acknowledge);
        t.AddStatus(VirtioDeviceStatus.Driver);
        t.WriteDriverFeatures(features);
        t.AddStatus(VirtioDeviceStatus.FeaturesOk);
        return (t.Get(VirtioMmioRegister.Status) & (uint)VirtioDeviceStatus.FeaturesOk) != 0;
    }

    public static void SetUpQueue(this VirtioMmioTransport t, uint index, uint size, ulong desc, ulong avail, ulong used)
    {
        t.Set(VirtioMmioRegister.QueueSel, index);
        t.Set(VirtioMmioRegister.QueueNum, size);
        t.Set(VirtioMmioRegister.QueueDescLow, (uint)desc);
        t.Set(VirtioMmioRegister.QueueDescHigh, (uint)(desc >> 32));
        t.Set(VirtioMmioRegister.QueueDriverLow, (uint)avail);
        t.Set(VirtioMmioRegister.QueueDriverHigh, (uint)(avail >> 32));
        t.Set(VirtioMmioRegister.QueueDeviceLow, (uint)used);
        t.Set(VirtioMmioRegister.QueueDeviceHigh, (uint)(used >> 32));
        t.Set(VirtioMmioRegister.QueueReady, 1);
    }
}
