using SharpVirt.Devices.Bus;

namespace SharpVirt.Devices.Tests.Legacy;

/// <summary>Single-byte port accesses, as <c>inb</c>/<c>outb</c> make them.</summary>
public static class PortIo
{
    public static byte In(this IBusDevice device, ulong offset)
    {
        var data = new byte[1];
        device.Read(offset, data);
        return data[0];
    }

    public static void Out(this IBusDevice device, ulong offset, byte value) => device.Write(offset, [value]);
}
