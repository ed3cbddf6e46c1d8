using System.Text;
using SharpVirt.Devices.Legacy;
using SharpVirt.Interop;

namespace SharpVirt.Vmm;

/// <summary>
/// Carries host input (a terminal or a pipe) to the guest's UART, holding bytes back while the UART's FIFO is
/// full. Recognises QEMU's escape: Ctrl-A x quits, Ctrl-A Ctrl-A sends one Ctrl-A, Ctrl-A h prints help, Ctrl-A c
/// switches between the guest console and the monitor (a line editor whose lines go to <see cref="Monitor.VmMonitor"/>).
/// </summary>
public sealed unsafe class ConsoleInputPump : IDisposable
{
    private const byte CtrlA = 0x01;
    private const int PendingCap = 64 * 1024; // keys typed at a guest that reads none; more are dropped
    private readonly FileDescriptor _input;
    private readonly Serial16550 _serial;
    private readonly VmExitSignal _exit;
    private readonly Action<string> _notice;
    private readonly Thread _thread;
    private readonly FileDescriptor _wake;
    private volatile bool _stopping;
    private readonly Monitor.VmMonitor? _monitor;
    private readonly StringBuilder _monitorLine = new();
    private bool _escape;
    private bool _inMonitor;

    /// <summary>Starts pumping from <paramref name="input"/> (not owned) to <paramref name="serial"/>.</summary>
    public ConsoleInputPump(FileDescriptor input, Serial16550 serial, VmExitSignal exit, Action<string> notice, Monitor.VmMonitor? monitor = null)
    {
        _monitor = monitor;
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
        var inputEnded = false;
        while (!_stopping && !_exit.IsSet)
        {
            while (pending.Count > 0 && _serial.TryReceive(pending.Peek()))
            {
                pending.Dequeue();
            }

            if (inputEnded)
            {
                if (pending.Count == 0)
                {
                    return; // End of input: the guest keeps running, it just gets no more keys.
                }

                Thread.Sleep(2);
                continue;
            }

            // Input is read even while the guest takes none (its FIFO is full, or it is paused), so Ctrl-A commands
            // still work; keys for the guest wait, up to a cap.
            polls[0] = new PollFd { Fd = _input.Number, Events = PollFd.POLLIN };
            polls[1] = new PollFd { Fd = _wake.Number, Events = PollFd.POLLIN };
            var ready = LibC.poll(polls, 2, pending.Count > 0 ? 2 : 100);
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

                inputEnded = true; // the keys already read still go to the guest
                continue;
            }

            for (var i = 0; i < n; i++)
            {
                if (Filter(buffer[i]) is { } b && pending.Count < PendingCap)
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

            return _inMonitor ? MonitorKey(b) : b;
        }

        _escape = false;
        switch (b)
        {
            case (byte)'x' or (byte)'X':
                _exit.Set(new VmOutcome(VmOutcomeKind.UserQuit, "quit from the console (Ctrl-A x)"));
                return null;
            case CtrlA:
                return _inMonitor ? null : CtrlA;
            case (byte)'c' or (byte)'C' when _monitor is not null:
                _inMonitor = !_inMonitor;
                _monitorLine.Clear();
                _notice(_inMonitor ? "\r\n" + Monitor.VmMonitor.Prompt : "\r\n");
                return null;
            case (byte)'h' or (byte)'?':
                _notice("\r\nCtrl-A x  quit\r\nCtrl-A c  monitor (balloon, info metrics, ...) / back to the console\r\n"
                    + "Ctrl-A h  this help\r\nCtrl-A Ctrl-A  send Ctrl-A to the guest\r\n");
                return null;
            default:
                return b;
        }
    }

    /// <summary>A key typed while the monitor has the keyboard: edits the line, runs it on Enter. Sends nothing to the guest.</summary>
    private byte? MonitorKey(byte b)
    {
        switch (b)
        {
            case (byte)'\r' or (byte)'\n':
                var output = _monitor!.Execute(_monitorLine.ToString());
                _monitorLine.Clear();
                _notice("\r\n" + output.Replace("\n", "\r\n", StringComparison.Ordinal) + Monitor.VmMonitor.Prompt);
                break;
            case 0x7f or 0x08:
                if (_monitorLine.Length > 0)
                {
                    _monitorLine.Length--;
                    _notice("\b \b");
                }

                break;
            case >= 0x20 and < 0x7f when _monitorLine.Length < 200:
                _monitorLine.Append((char)b);
                _notice(((char)b).ToString());
                break;
        }

        return null;
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
