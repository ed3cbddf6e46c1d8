using System.Diagnostics;
using SharpVirt.Interop;
using SharpVirt.Interop.Processes;

namespace SharpVirt.Manager.Supervision;

/// <summary>
/// One running VMM: its pid and start time (what the database records), a pidfd that names it for good, and, when
/// this daemon started it, the child <see cref="Process"/> that reaps it and knows its exit status.
/// </summary>
public sealed class VmmProcess : IDisposable
{
    private readonly Process? _child;
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private VmmProcess(int pid, ulong startTicks, FileDescriptor pidFd, Process? child)
    {
        Pid = pid;
        StartTicks = startTicks;
        Handle = pidFd;
        _child = child;
    }

    /// <summary>The VMM's pid.</summary>
    public int Pid { get; }

    /// <summary>Its start time (see <see cref="ProcessIdentity"/>).</summary>
    public ulong StartTicks { get; }

    /// <summary>The pidfd (readable once the VMM has exited).</summary>
    public FileDescriptor Handle { get; }

    /// <summary>Completes when the VMM has exited.</summary>
    public Task Exited => _exited.Task;

    /// <summary>Wraps a child this daemon just started; null if it has already ended.</summary>
    public static VmmProcess? FromChild(Process child)
    {
        var pid = child.Id;
        if (ProcessIdentity.StartTicks(pid) is not { } ticks || PidFd.Open(pid) is not { } fd)
        {
            return null;
        }

        return new VmmProcess(pid, ticks, fd, child);
    }

    /// <summary>Re-attaches to a VMM an earlier daemon started; null unless that very process still runs.</summary>
    public static VmmProcess? Attach(int pid, ulong startTicks)
    {
        if (PidFd.Open(pid) is not { } fd)
        {
            return null;
        }

        // Checked after opening the pidfd: from here on the pid cannot be reused under us.
        if (!ProcessIdentity.IsSame(pid, startTicks))
        {
            fd.Dispose();
            return null;
        }

        return new VmmProcess(pid, startTicks, fd, child: null);
    }

    /// <summary>Called by the watch when the pidfd turns readable.</summary>
    public void MarkExited() => _exited.TrySetResult();

    /// <summary>
    /// How the process ended, for the record: its exit code or signal when it was our child, else null (a
    /// re-attached VMM's status went to init).
    /// </summary>
    public string? ExitStatus()
    {
        if (_child is null)
        {
            return null;
        }

        if (!_child.WaitForExit(5000))
        {
            return null;
        }

        // .NET reports a death by signal N as exit code 128 + N.
        var code = _child.ExitCode;
        return code > 128 ? $"killed by signal {code - 128}" : $"exit code {code}";
    }

    /// <summary>Sends SIGKILL (pulling the plug); false if it had already ended.</summary>
    public bool Kill() => PidFd.Signal(Handle, 9);

    /// <inheritdoc />
    public void Dispose()
    {
        Handle.Dispose();
        _child?.Dispose();
    }
}
