using SharpVirt.Interop;

namespace SharpVirt.Cli;

/// <summary>Puts the terminal in raw mode so every key reaches the guest, and restores it exactly once.</summary>
public sealed unsafe class TerminalMode : IDisposable
{
    private readonly Termios _saved;
    private readonly bool _active;
    private int _restored;

    private TerminalMode(Termios saved, bool active)
    {
        _saved = saved;
        _active = active;
    }

    /// <summary>Enters raw mode when standard input is a terminal; otherwise does nothing.</summary>
    public static TerminalMode EnterRaw()
    {
        if (LibC.isatty(0) != 1)
        {
            return new TerminalMode(default, false);
        }

        Termios saved;
        if (LibC.tcgetattr(0, &saved) != 0)
        {
            return new TerminalMode(default, false);
        }

        var raw = saved;
        LibC.cfmakeraw(&raw);
        // Keep output post-processing: the guest sends CRLF, and our own messages use plain newlines.
        raw.OFlag = saved.OFlag;
        LibC.tcsetattr(0, LibC.TCSANOW, &raw);
        var mode = new TerminalMode(saved, true);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => mode.Dispose();
        AppDomain.CurrentDomain.UnhandledException += (_, _) => mode.Dispose();
        return mode;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_active && Interlocked.Exchange(ref _restored, 1) == 0)
        {
            var saved = _saved;
            LibC.tcsetattr(0, LibC.TCSANOW, &saved);
        }
    }
}
