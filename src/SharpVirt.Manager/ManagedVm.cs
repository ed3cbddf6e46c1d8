using SharpVirt.Contracts.Manager;
using SharpVirt.Manager.Store;
using SharpVirt.Manager.Supervision;

namespace SharpVirt.Manager;

/// <summary>
/// One VM as the manager holds it in memory. Every operation on it runs under <see cref="Gate"/>, one at a time, so a
/// stop and a start (or a VMM's exit and a user's stop) never interleave.
/// </summary>
internal sealed class ManagedVm(VmDefinition definition, VmRuntime runtime)
{
    public SemaphoreSlim Gate { get; } = new(1, 1);

    public VmDefinition Definition { get; set; } = definition;

    public VmRuntime Runtime { get; set; } = runtime;

    /// <summary>The running VMM, if any.</summary>
    public VmmProcess? Process { get; set; }

    /// <summary>When the current run started.</summary>
    public DateTimeOffset StartedAt { get; set; }

    /// <summary>What the user asked that ends this run (the reason recorded when it ends), or null.</summary>
    public string? StopRequest { get; set; }

    /// <summary>Restarts in a row after short runs (see <see cref="ExitVerdict.MaxQuickRestarts"/>).</summary>
    public int QuickRestarts { get; set; }

    public string Name => Definition.Name;

    public bool IsActive => Runtime.State is ManagedVmState.Starting or ManagedVmState.Running or ManagedVmState.Paused
        or ManagedVmState.Stopping;
}
