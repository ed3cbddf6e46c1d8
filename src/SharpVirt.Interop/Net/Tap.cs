using System.Text;

namespace SharpVirt.Interop.Net;

/// <summary>
/// A tap device opened through /dev/net/tun: Ethernet frames with a 12-byte virtio_net_hdr in front (IFF_VNET_HDR
/// with TUNSETVNETHDRSZ, the virtio 1.x header), non-blocking. Opening an existing tap (made with <c>ip tuntap add</c>)
/// attaches to it; opening a name that does not exist creates one for the life of this descriptor (root or
/// CAP_NET_ADMIN). Either way the link is brought up where the caller may.
/// </summary>
public sealed unsafe class Tap : IDisposable
{
    /// <summary>The virtio-net header size the tap is set to (struct virtio_net_hdr_v1).</summary>
    public const int VnetHeaderSize = 12;

    private Tap(FileDescriptor handle, string name, bool created, bool multiQueue)
    {
        Handle = handle;
        Name = name;
        Created = created;
        MultiQueue = multiQueue;
    }

    /// <summary>The descriptor (non-blocking; for epoll).</summary>
    public FileDescriptor Handle { get; }

    /// <summary>The interface name.</summary>
    public string Name { get; }

    /// <summary>Whether this process created the interface (it goes away when the tap is closed).</summary>
    public bool Created { get; }

    /// <summary>Whether the tap is multi-queue, so <see cref="Detach"/> can hand it over while this descriptor stays open.</summary>
    public bool MultiQueue { get; }

    /// <summary>Opens (or creates) tap <paramref name="name"/>; throws <see cref="TapException"/> saying why not.</summary>
    public static Tap Open(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var nameBytes = Encoding.UTF8.GetBytes(name);
        if (nameBytes.Length >= TunAbi.IFNAMSIZ || name.Contains('/', StringComparison.Ordinal) || name.Contains('\0', StringComparison.Ordinal))
        {
            throw new TapException(name, Errno.EINVAL, $"'{name}' is not an interface name (at most {TunAbi.IFNAMSIZ - 1} bytes, no '/')");
        }

        var existed = Directory.Exists($"/sys/class/net/{name}");
        var fd = LibC.open("/dev/net/tun", LibC.O_RDWR | LibC.O_NONBLOCK | LibC.O_CLOEXEC, 0);
        if (fd < 0)
        {
            var errno = Errno.Last;
            throw new TapException(name, errno, $"cannot open /dev/net/tun: {Errno.Describe(errno)}");
        }

        var handle = new FileDescriptor(fd);
        try
        {
            // Multi-queue where the tap allows it (one made by us, or by 'ip tuntap add ... multi_queue'): its one queue
            // can then be detached and attached again, which hands the tap to another VMM in a live migration. A tap
            // made without it refuses the flag with EINVAL, and is opened as it is.
            var multiQueue = true;
            var request = new IfReq { Flags = (short)(TunAbi.IFF_TAP | TunAbi.IFF_NO_PI | TunAbi.IFF_VNET_HDR | TunAbi.IFF_MULTI_QUEUE) };
            nameBytes.CopyTo(new Span<byte>(request.Name, TunAbi.IFNAMSIZ));
            var result = LibC.ioctl(handle, TunAbi.TUNSETIFF, &request);
            if (result < 0 && Errno.Last == Errno.EINVAL && existed)
            {
                multiQueue = false;
                request.Flags = TunAbi.IFF_TAP | TunAbi.IFF_NO_PI | TunAbi.IFF_VNET_HDR;
                result = LibC.ioctl(handle, TunAbi.TUNSETIFF, &request);
            }

            if (result < 0)
            {
                var errno = Errno.Last;
                throw new TapException(name, errno, errno switch
                {
                    Errno.EPERM => existed
                        ? $"tap {name} belongs to another user (create it with 'ip tuntap add {name} mode tap user $USER')"
                        : $"creating tap {name} needs root or CAP_NET_ADMIN (or create it first: ip tuntap add {name} mode tap user $USER)",
                    Errno.EBUSY => $"tap {name} is in use by another process",
                    Errno.EINVAL => $"{name} exists and is not a tap device with a virtio-net header",
                    _ => $"TUNSETIFF {name}: {Errno.Describe(errno)}",
                });
            }

            if (multiQueue && AttachedQueues(name) > 1)
            {
                // A multi-queue tap would share frames between two VMs: one attached queue is ours alone.
                throw new TapException(name, Errno.EBUSY, $"tap {name} is in use by another process");
            }

            var size = VnetHeaderSize;
            Errno.Check(LibC.ioctl(handle, TunAbi.TUNSETVNETHDRSZ, &size), $"TUNSETVNETHDRSZ {name}");
            var tap = new Tap(handle, name, !existed, multiQueue);
            tap.TryBringUp();
            return tap;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>TUNSETOFFLOAD: which offloaded frames (TUN_F_*) the tap may hand us.</summary>
    public void SetOffload(uint flags)
    {
        Errno.Check(LibC.ioctl(Handle, TunAbi.TUNSETOFFLOAD, (nuint)flags), $"TUNSETOFFLOAD {Name}");
    }

    /// <summary>
    /// Stops this descriptor's queue taking frames (TUNSETQUEUE IFF_DETACH_QUEUE), so another process may attach to the
    /// tap, while the descriptor stays open for <see cref="Attach"/>. False, saying why, for a single-queue tap.
    /// </summary>
    public bool Detach(out string? why) => SetQueue(TunAbi.IFF_DETACH_QUEUE, out why);

    /// <summary>Lets this descriptor's queue take frames again after <see cref="Detach"/>.</summary>
    public bool Attach(out string? why) => SetQueue(TunAbi.IFF_ATTACH_QUEUE, out why);

    private bool SetQueue(short flag, out string? why)
    {
        if (!MultiQueue)
        {
            why = $"tap {Name} is single-queue: make it with 'ip tuntap add {Name} mode tap multi_queue' to hand it to another VMM";
            return false;
        }

        var request = new IfReq { Flags = flag };
        if (LibC.ioctl(Handle, TunAbi.TUNSETQUEUE, &request) < 0)
        {
            why = $"TUNSETQUEUE {Name}: {Errno.Describe(Errno.Last)}";
            return false;
        }

        why = null;
        return true;
    }

    /// <summary>Reads one frame (header included); returns its length, or -1 when none is waiting.</summary>
    public int Read(Span<byte> frame)
    {
        fixed (byte* p = frame)
        {
            var n = LibC.read(Handle, p, frame.Length);
            if (n >= 0)
            {
                return (int)n;
            }

            var errno = Errno.Last;
            return errno is Errno.EAGAIN or Errno.EINTR ? -1 : throw new SystemCallException($"read(tap {Name})", errno);
        }
    }

    /// <summary>Writes one frame (header included); returns false when the tap cannot take it now.</summary>
    public bool Write(ReadOnlySpan<byte> frame)
    {
        fixed (byte* p = frame)
        {
            if (LibC.write(Handle, p, frame.Length) >= 0)
            {
                return true;
            }

            var errno = Errno.Last;
            return errno is Errno.EAGAIN or Errno.EINTR or Errno.EIO ? false : throw new SystemCallException($"write(tap {Name})", errno);
        }
    }

    /// <summary>How many queues of the tap take frames now (its real transmit queues in sysfs); 1 when unknown.</summary>
    private static int AttachedQueues(string name)
    {
        try
        {
            return Math.Max(1, Directory.GetDirectories($"/sys/class/net/{name}/queues", "tx-*").Length);
        }
        catch (IOException)
        {
            return 1;
        }
        catch (UnauthorizedAccessException)
        {
            return 1;
        }
    }

    /// <summary>Sets IFF_UP; a caller without CAP_NET_ADMIN leaves the link as its owner set it.</summary>
    private void TryBringUp()
    {
        var socket = LibC.socket(LibC.AF_INET, LibC.SOCK_DGRAM | LibC.O_CLOEXEC, 0);
        if (socket < 0)
        {
            return;
        }

        using var control = new FileDescriptor(socket);
        var request = new IfReq();
        Encoding.UTF8.GetBytes(Name).CopyTo(new Span<byte>(request.Name, TunAbi.IFNAMSIZ));
        if (LibC.ioctl(control, TunAbi.SIOCGIFFLAGS, &request) == 0 && (request.Flags & TunAbi.IFF_UP) == 0)
        {
            request.Flags |= TunAbi.IFF_UP;
            LibC.ioctl(control, TunAbi.SIOCSIFFLAGS, &request);
        }
    }

    /// <summary>Closes the tap (a tap this process created disappears).</summary>
    public void Dispose() => Handle.Dispose();
}

/// <summary>A tap device could not be opened; the message says why and what to do.</summary>
public sealed class TapException(string name, int errno, string message) : SystemCallException("TUNSETIFF", errno, message)
{
    /// <summary>The interface name.</summary>
    public string TapName { get; } = name;
}
