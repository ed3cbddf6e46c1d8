namespace SharpVirt.Interop.Events;

/// <summary>
/// A Linux eventfd: a 64-bit counter one side increments (<see cref="Signal"/>) and the other consumes
/// (<see cref="TryConsume"/>), readable while non-zero. KVM takes it for ioeventfd (a guest write signals it
/// without a userspace exit) and irqfd (signalling it injects an interrupt); the device loops wait on it.
/// Non-blocking and close-on-exec; safe to use from any thread.
/// </summary>
public sealed unsafe class EventFd : IDisposable
{
    private const int EFD_NONBLOCK = 0x800;
    private const int EFD_CLOEXEC = 0x80000;

    /// <summary>Creates an eventfd with a zero counter.</summary>
    public EventFd()
    {
        Handle = new FileDescriptor(Errno.Check(LibC.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), "eventfd"));
    }

    /// <summary>The descriptor (to register with KVM or an <see cref="Epoll"/>).</summary>
    public FileDescriptor Handle { get; }

    /// <summary>Adds one to the counter, waking a waiter. Never blocks (the counter saturating is not reachable).</summary>
    public void Signal()
    {
        ulong one = 1;
        var written = LibC.write(Handle, (byte*)&one, sizeof(ulong));
        if (written != sizeof(ulong) && Errno.Last is not Errno.EAGAIN)
        {
            throw new SystemCallException("write(eventfd)", Errno.Last);
        }
    }

    /// <summary>Reads and resets the counter; returns its value, 0 when nothing was signalled.</summary>
    public ulong TryConsume()
    {
        ulong value;
        var read = LibC.read(Handle, (byte*)&value, sizeof(ulong));
        if (read == sizeof(ulong))
        {
            return value;
        }

        return Errno.Last is Errno.EAGAIN ? 0UL : throw new SystemCallException("read(eventfd)", Errno.Last);
    }

    /// <inheritdoc />
    public void Dispose() => Handle.Dispose();
}
