using SharpVirt.Boot;
using SharpVirt.Devices.Bus;
using SharpVirt.Devices.Virtio;
using SharpVirt.Devices.Virtio.Transport.Mmio;
using SharpVirt.Interop.Kvm;
using SharpVirt.Memory;

namespace SharpVirt.Vmm;

/// <summary>
/// Places virtio devices on virtio-mmio transports: one 4 KiB-spaced register window each from
/// <see cref="X64Layout.MmioDevicesStart"/>, one IOAPIC pin each (an edge-triggered irqfd), an ioeventfd per queue on
/// the QueueNotify register (so a notification never exits to userspace), and a DSDT entry so the guest finds it
/// (Debian's kernels have no virtio_mmio.device= option; ACPI works for every kernel).
/// </summary>
internal sealed class VirtioMmioSlots(IoBus mmio, VmFd vm, GuestMemory memory) : IDisposable
{
    /// <summary>The 4 KiB stride between register windows.</summary>
    public const ulong Stride = 0x1000;

    // IOAPIC pins not used by the legacy devices (0 timer, 1 i8042, 2 cascade/PIT, 4 COM1, 8 RTC).
    private static readonly uint[] FreeGsis = [5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23];
    private readonly List<byte[]> _acpiDevices = [];
    private readonly List<VirtioMmioTransport> _transports = [];
    private readonly List<IrqfdLine> _lines = [];

    /// <summary>The most devices that fit (one free IOAPIC pin each).</summary>
    public static int Capacity => FreeGsis.Length;

    /// <summary>DSDT device entries for the devices placed so far.</summary>
    public IReadOnlyList<byte[]> AcpiDevices => _acpiDevices;

    /// <summary>The transports, in placement order.</summary>
    public IReadOnlyList<VirtioMmioTransport> Transports => _transports;

    /// <summary>Puts <paramref name="device"/> behind the next free window and interrupt.</summary>
    public VirtioMmioTransport Add(IVirtioDevice device)
    {
        var index = _transports.Count;
        if (index >= FreeGsis.Length)
        {
            throw new InvalidOperationException($"at most {FreeGsis.Length} virtio-mmio devices fit on the IOAPIC");
        }

        var gsi = FreeGsis[index];
        var @base = X64Layout.MmioDevicesStart + (ulong)index * Stride;
        var line = new IrqfdLine(vm, gsi);
        _lines.Add(line);
        for (var queue = 0; queue < device.QueueEvents.Count; queue++)
        {
            vm.RegisterIoeventfd(device.QueueEvents[queue].Handle, @base + VirtioMmioRegister.QueueNotify, 4, pio: false, dataMatch: (ulong)queue);
        }

        var transport = new VirtioMmioTransport(device, memory, line);
        mmio.Insert(transport, @base, VirtioMmioRegister.RegionSize);
        _acpiDevices.Add(Boot.Acpi.AcpiDevices.VirtioMmio(index, @base, (uint)VirtioMmioRegister.RegionSize, gsi));
        _transports.Add(transport);
        return transport;
    }

    /// <summary>Closes the interrupt lines (after the devices stopped).</summary>
    public void Dispose()
    {
        foreach (var line in _lines)
        {
            line.Dispose();
        }
    }
}
