using System.Runtime.InteropServices;

namespace SharpVirt.Interop.Events;

/// <summary>One ready descriptor from <see cref="Epoll.Wait"/>: the token it was added with and its EPOLL* events.</summary>
/// <param name="Events">The ready events (<see cref="Epoll.In"/>, <see cref="Epoll.Out"/>, <see cref="Epoll.Hangup"/>, ...).</param>
/// <param name="Token">The caller's token for the descriptor.</param>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
public readonly record struct EpollEvent(uint Events, ulong Token);

/// <summary>
/// An epoll instance (level-triggered): descriptors are added with a caller token and <see cref="Wait"/> returns
/// the ready ones. One thread waits; adding and removing from another thread is allowed by the kernel.
/// </summary>
public sealed unsafe class Epoll : IDisposable
{
    /// <summary>EPOLLIN: readable.</summary>
    public const uint In = 0x001;
    /// <summary>EPOLLOUT: writable.</summary>
    public const uint Out = 0x004;
    /// <summary>EPOLLERR: an error condition.</summary>
    public const uint Error = 0x008;
    /// <summary>EPOLLHUP: hang up.</summary>
    public const uint Hangup = 0x010;
    /// <summary>EPOLLRDHUP: the peer closed its writing side.</summary>
    public const uint PeerHangup = 0x2000;

    private const int EPOLL_CLOEXEC = 0x80000;
    private const int EPOLL_CTL_ADD = 1;
    private const int EPOLL_CTL_DEL = 2;
    private const int EPOLL_CTL_MOD = 3;

    private readonly FileDescriptor _fd;

    /// <summary>Creates the instance.</summary>
    public Epoll()
    {
        _fd = new FileDescriptor(Errno.Check(LibC.epoll_create1(EPOLL_CLOEXEC), "epoll_create1"));
    }

    /// <summary>Watches <paramref name="fd"/> for <paramref name="events"/>, reported with <paramref name="token"/>.</summary>
    public void Add(SafeHandle fd, uint events, ulong token) => Control(EPOLL_CTL_ADD, fd, events, token, "EPOLL_CTL_ADD");

    /// <summary>Changes the events (and token) watched for <paramref name="fd"/>.</summary>
    public void Modify(SafeHandle fd, uint events, ulong token) => Control(EPOLL_CTL_MOD, fd, events, token, "EPOLL_CTL_MOD");

    /// <summary>Stops watching <paramref name="fd"/>.</summary>
    public void Remove(SafeHandle fd) => Control(EPOLL_CTL_DEL, fd, 0, 0, "EPOLL_CTL_DEL");

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> milliseconds (-1: forever) and fills <paramref name="ready"/>;
    /// returns how many are ready (0 on timeout or when a signal interrupted the wait).
    /// </summary>
    public int Wait(Span<EpollEvent> ready, int timeoutMs)
    {
        fixed (EpollEvent* events = ready)
        {
            var n = LibC.epoll_wait(_fd, events, ready.Length, timeoutMs);
            if (n < 0)
            {
                return Errno.Last == Errno.EINTR ? 0 : throw new SystemCallException("epoll_wait", Errno.Last);
            }

            return n;
        }
    }

    private void Control(int op, SafeHandle fd, uint events, ulong token, string name)
    {
        var ev = new EpollEvent(events, token);
        var added = false;
        try
        {
            fd.DangerousAddRef(ref added);
            Errno.Check(LibC.epoll_ctl(_fd, op, (int)fd.DangerousGetHandle(), &ev), name);
        }
        finally
        {
            if (added)
            {
                fd.DangerousRelease();
            }
        }
    }

    /// <inheritdoc />
    public void Dispose() => _fd.Dispose();
}
