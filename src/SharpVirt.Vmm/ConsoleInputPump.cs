using SharpVirt.Devices.Legacy;
using SharpVirt.Interop;

namespace SharpVirt.Vmm;

/// <summary>
/// Carries host input (a terminal or a pipe) to the guest's UART, holding bytes back while the UART's FIFO is
/// full. Recognises QEMU's escape: Ctrl-A x quits, Ctrl-A Ctrl-A sends one Ctrl-A, Ctrl-A h prints help.
/// </summary>
public sealed unsafe class ConsoleInputPump : IDisposable
{
    private const byte CtrlA = 0x01;
    private readonly FileDescriptor _input;
    private readonly Serial16550 _serial;
    private readonly VmExitSignal _exit;
    private readonly Action<string> _notice;
    private readonly Thread _thread;
    private readonly FileDescriptor _wake;
    private volatile bool _stopping;
    private bool _escape;

    /// <summary>Starts pumping from <paramref name="input"/> (not owned) to <paramref name="serial"/>.</summary>
    public ConsoleInputPump(FileDescriptor input, Serial16550 serial, VmExitSignal exit, Action<string> notice)
    {
        _input = input;
        _serial = serial;
        _exit = exit;
        _notice = notice;
        // Dispose signals this eventfd so the thread leaves poll() at once instead of at its next timeout.
        _wake = new FileDescriptor(Errno.Check(LibC.eventfd(0, LibC.O_CLOEXEC | LibC.O_NONBLOCK), "eventfd"));
        _thread = new Thread(Pump) { Name = "console-input", IsBackground = true };
        _thread.Start();
    }

    private void Pump()
    {
        var buffer = new byte[256];
        var pending = new Queue<byte>();
        var polls = stackalloc PollFd[2];
        while (!_stopping && !_exit.IsSet)
        {
            if (pending.Count > 0)
            {
                while (pending.Count > 0 && _serial.TryReceive(pending.Peek()))
                {
                    pending.Dequeue();
                }

                if (pending.Count > 0)
                {
                    Thread.Sleep(2);
                    continue;
                }
            }

            polls[0] = new PollFd { Fd = _input.Number, Events = PollFd.POLLIN };
            polls[1] = new PollFd { Fd = _wake.Number, Events = PollFd.POLLIN };
            var ready = LibC.poll(polls, 2, 100);
            if (ready <= 0 || polls[1].REvents != 0 || (polls[0].REvents & (PollFd.POLLIN | PollFd.POLLHUP)) == 0)
            {
                continue;
            }

            nint n;
            fixed (byte* p = buffer)
            {
                n = LibC.read(_input, p, buffer.Length);
            }

            if (n <= 0)
            {
                if (n < 0 && Errno.Last is Errno.EINTR or Errno.EAGAIN)
                {
                    continue;
                }

                return; // End of input: the guest keeps running, it just gets no more keys.
            }

            for (var i = 0; i < n; i++)
            {
                if (Filter(buffer[i]) is { } b)
                {
                    pending.Enqueue(b);
                }
            }
        }
    }

    /// <summary>Applies the escape sequence; returns the byte to send to the guest, if any.</summary>
    private byte? Filter(byte b)
    {
        if (!_escape)
        {
            if (b == CtrlA)
            {
                _escape = true;
                return null;
            }

            return b;
        }

        _escape = false;
        switch (b)
        {
            case (byte)'x' or (byte)'X':
                _exit.Set(new VmOutcome(VmOutcomeKind.UserQuit, "quit from the console (Ctrl-A x)"));
                return null;
            case CtrlA:
                return CtrlA;
            case (byte)'h' or (byte)'?':
                _notice("\r\nCtrl-A x  quit\r\nCtrl-A h  this help\r\nCtrl-A Ctrl-A  send Ctrl-A to the guest\r\n");
                return null;
            default:
                return b;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _stopping = true;
        ulong one = 1;
        LibC.write(_wake, (byte*)&one, sizeof(ulong));
        _thread.Join(500);
        _wake.Dispose();
    }
}
