using SharpVirt.Contracts.Manager;

namespace SharpVirt.Manager.Store;

/// <summary>
/// What the manager records about a VM's current run, so that a restarted daemon finds its VMMs again: the state, the
/// VMM's pid with its start time (a pid alone can be reused), and why the VM is in this state.
/// </summary>
public sealed record VmRuntime
{
    /// <summary>A VM that has never run.</summary>
    public static VmRuntime Initial(DateTimeOffset now) => new() { State = ManagedVmState.Stopped, Since = now };

    /// <summary>The state.</summary>
    public required ManagedVmState State { get; init; }

    /// <summary>The VMM's pid while one runs.</summary>
    public int? Pid { get; init; }

    /// <summary>The VMM's start time in clock ticks since boot (/proc/PID/stat field 22), with <see cref="Pid"/>.</summary>
    public ulong? PidStartTicks { get; init; }

    /// <summary>Why: how the last run ended, or what started it.</summary>
    public string? Reason { get; init; }

    /// <summary>When the VM entered this state.</summary>
    public required DateTimeOffset Since { get; init; }

    /// <summary>Restarts by the restart policy since a user last started the VM.</summary>
    public int Restarts { get; init; }
}
