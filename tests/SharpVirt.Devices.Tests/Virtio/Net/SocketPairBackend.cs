using System.Runtime.InteropServices;
using SharpVirt.Devices.Virtio.Net;
using SharpVirt.Interop;

namespace SharpVirt.Devices.Tests.Virtio.Net;

/// <summary>
/// A virtio-net backend for tests: one end of a non-blocking AF_UNIX datagram socket pair (which keeps frame
/// boundaries, as a tap does); the test plays the host on the other end. Records the offloads it is given.
/// </summary>
public sealed unsafe class SocketPairBackend : INetBackend
{
    private const int SOCK_NONBLOCK = 0x800;
    private readonly FileDescriptor _device;
    private readonly FileDescriptor _host;
    private readonly Lock _lock = new();
    private readonly List<uint> _offloads = [];

    public SocketPairBackend()
    {
        var fds = stackalloc int[2];
        Errno.Check(LibC.socketpair(LibC.AF_UNIX, LibC.SOCK_DGRAM | SOCK_NONBLOCK | LibC.O_CLOEXEC, 0, fds), "socketpair");
        _device = new FileDescriptor(fds[0]);
        _host = new FileDescriptor(fds[1]);
    }

    public SafeHandle Handle => _device;

    public IReadOnlyList<uint> Offloads { get { lock (_lock) { return [.. _offloads]; } } }

    public int Read(Span<byte> frame)
    {
        fixed (byte* p = frame)
        {
            var n = LibC.read(_device, p, frame.Length);
            return n >= 0 ? (int)n : Errno.Last == Errno.EAGAIN ? -1 : throw new SystemCallException("read", Errno.Last);
        }
    }

    public bool Write(ReadOnlySpan<byte> frame)
    {
        fixed (byte* p = frame)
        {
            return LibC.write(_device, p, frame.Length) == frame.Length;
        }
    }

    public void SetOffload(uint tunFlags)
    {
        lock (_lock)
        {
            _offloads.Add(tunFlags);
        }
    }

    /// <summary>The host sends one frame (header included) towards the guest.</summary>
    public void HostSend(ReadOnlySpan<byte> frame)
    {
        fixed (byte* p = frame)
        {
            Assert.Equal(frame.Length, (int)LibC.write(_host, p, frame.Length));
        }
    }

    /// <summary>The next frame the guest sent, or null if none arrives within <paramref name="timeoutMs"/>.</summary>
    public byte[]? HostReceive(int timeoutMs = 5000)
    {
        var buffer = new byte[VirtioNet.MaxFrameBytes + 100];
        var deadline = Environment.TickCount64 + timeoutMs;
        while (true)
        {
            fixed (byte* p = buffer)
            {
                var n = LibC.read(_host, p, buffer.Length);
                if (n >= 0)
                {
                    return buffer[..(int)n];
                }
            }

            if (Environment.TickCount64 > deadline)
            {
                return null;
            }

            Thread.Sleep(2);
        }
    }

    public void Dispose()
    {
        _device.Dispose();
        _host.Dispose();
    }
}
