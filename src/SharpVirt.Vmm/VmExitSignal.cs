namespace SharpVirt.Vmm;

/// <summary>The first reason a VM stops, set once by whichever thread sees it (vCPU, device, console, signal).</summary>
public sealed class VmExitSignal
{
    private readonly TaskCompletionSource<VmOutcome> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Whether the VM has been told to stop.</summary>
    public bool IsSet => _outcome.Task.IsCompleted;

    /// <summary>Completes when the VM must stop.</summary>
    public Task<VmOutcome> Outcome => _outcome.Task;

    /// <summary>Records <paramref name="outcome"/> unless an earlier one was recorded; returns whether this one won.</summary>
    public bool Set(VmOutcome outcome) => _outcome.TrySetResult(outcome);
}
