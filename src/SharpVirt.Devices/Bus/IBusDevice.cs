namespace SharpVirt.Devices.Bus;

/// <summary>
/// A device that answers guest reads and writes in a range of a bus (port I/O or MMIO).
/// Offsets are relative to the start of the device's range; data lengths are 1, 2, 4 or 8 bytes.
/// Calls may come from any vCPU thread: a device guards its own state.
/// </summary>
public interface IBusDevice
{
    /// <summary>The guest reads <paramref name="data"/>.Length bytes at <paramref name="offset"/>.</summary>
    void Read(ulong offset, Span<byte> data);

    /// <summary>The guest writes <paramref name="data"/> at <paramref name="offset"/>.</summary>
    void Write(ulong offset, ReadOnlySpan<byte> data);
}
