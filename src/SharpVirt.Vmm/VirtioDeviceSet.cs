using SharpVirt.Contracts;
using SharpVirt.Devices.Metrics;
using SharpVirt.Devices.Virtio;
using SharpVirt.Devices.Virtio.Balloon;
using SharpVirt.Devices.Virtio.Block;
using SharpVirt.Devices.Virtio.Console;
using SharpVirt.Devices.Virtio.Net;
using SharpVirt.Devices.Virtio.Rng;
using SharpVirt.Devices.Virtio.Transport.Mmio;
using SharpVirt.Devices.Virtio.Vsock;
using SharpVirt.Interop;
using SharpVirt.Interop.Net;

namespace SharpVirt.Vmm;

/// <summary>One virtio device of a VM, with the name the user gave it and its counters.</summary>
/// <param name="Name">"vda", "eth0", "rng", ...</param>
/// <param name="Kind">"block", "net", "rng", "balloon", "vsock", "console".</param>
/// <param name="Device">The device.</param>
/// <param name="Metrics">Its counters.</param>
/// <param name="Transport">Its virtio-mmio transport.</param>
public sealed record VmDevice(string Name, string Kind, IVirtioDevice Device, MetricSet Metrics, VirtioMmioTransport Transport);

/// <summary>Creates the spec's virtio devices, in a fixed order (disks, network cards, then the others), on their slots.</summary>
internal static class VirtioDeviceSet
{
    /// <summary>Builds every device onto <paramref name="slots"/>; each one goes into <paramref name="owned"/> as soon as it exists.</summary>
    internal static List<VmDevice> Build(VmSpec spec, VirtioMmioSlots slots, List<IDisposable> owned)
    {
        var devices = new List<VmDevice>();
        void Place(string name, string kind, VirtioDevice device, MetricSet metrics)
        {
            owned.Add(device);
            devices.Add(new VmDevice(name, kind, device, metrics, slots.Add(device)));
        }

        foreach (var drive in spec.Drives)
        {
            var disk = OpenDisk(drive);
            Place(drive.Id, "block", disk, disk.Metrics);
        }

        for (var i = 0; i < spec.Nets.Count; i++)
        {
            var net = spec.Nets[i];
            var card = new VirtioNet(new TapBackend(OpenTap(i, net)), net.Mac, net.Rx?.Create(), net.Tx?.Create());
            Place(net.Id, "net", card, card.Metrics);
        }

        if (spec.Entropy)
        {
            var rng = new VirtioRng();
            Place("rng", "rng", rng, rng.Metrics);
        }

        if (spec.Console is { } c)
        {
            var console = new VirtioConsole(OpenConsole(c));
            Place("hvc0", "console", console, console.Metrics);
        }

        if (spec.Vsock is { } v)
        {
            var vsock = OpenVsock(v);
            Place("vsock", "vsock", vsock, vsock.Metrics);
        }

        if (spec.Balloon is { } b)
        {
            var balloon = new VirtioBalloon(b.AmountMib, b.DeflateOnOom, b.StatsInterval, b.FreePageReporting);
            Place("balloon", "balloon", balloon, balloon.Metrics);
        }

        return devices;
    }

    private static VirtioBlock OpenDisk(DriveSpec drive)
    {
        try
        {
            return new VirtioBlock(drive.Path, drive.ReadOnly, drive.Serial, drive.RateLimit?.Create());
        }
        catch (BlockImageException e)
        {
            throw new ConfigException($"drive {drive.Id}", e.Message);
        }
    }

    private static VirtioVsock OpenVsock(VsockSpec vsock)
    {
        try
        {
            return new VirtioVsock(vsock.GuestCid, vsock.UdsPath);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or UnauthorizedAccessException)
        {
            throw new ConfigException("vsock.uds_path", e.Message);
        }
    }

    private static IConsoleBackend OpenConsole(ConsoleSpec console)
    {
        try
        {
            return console.SocketPath is { } socket ? new UnixSocketConsoleBackend(socket) : new FileConsoleBackend(console.OutputPath!);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or UnauthorizedAccessException)
        {
            throw new ConfigException(console.SocketPath is null ? "console.output_path" : "console.socket_path", e.Message);
        }
    }

    private static Tap OpenTap(int index, NetSpec net)
    {
        try
        {
            return Tap.Open(net.TapName);
        }
        catch (SystemCallException e)
        {
            throw new ConfigException($"network-interfaces[{index}].host_dev_name", e.Message);
        }
    }
}
