using SharpVirt.Contracts.Api;
using SharpVirt.Contracts.Manager;
using SharpVirt.Manager.Supervision;

namespace SharpVirt.Manager;

/// <summary>What a starting daemon does: find the VMMs an earlier daemon left running, and autostart.</summary>
public sealed partial class ManagerService
{
    /// <summary>The file in the run directory that says autostart has run since the host booted (/run is emptied at boot).</summary>
    private string AutostartMarker => Path.Combine(_paths.RunDirectory, "autostarted");

    /// <summary>
    /// Re-attaches to the VM's VMM if that very process still runs; if it ended while no daemon watched, records how
    /// (from its exit report) and applies the restart policy.
    /// </summary>
    private async Task Recover(ManagedVm vm)
    {
        await vm.Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            var runtime = vm.Runtime;
            if (!vm.IsActive)
            {
                return;
            }

            if (runtime is { Pid: { } pid, PidStartTicks: { } ticks } && VmmProcess.Attach(pid, ticks) is { } process)
            {
                vm.Process = process;
                vm.StartedAt = runtime.Since;
                Watch(vm, process);
                using var client = new VmmClient(_paths.ApiSocket(vm.Name));
                var info = await client.TryGetInfo().ConfigureAwait(false);
                var state = info?.State == VmState.Paused ? ManagedVmState.Paused : ManagedVmState.Running;
                if (runtime.State == ManagedVmState.Stopping)
                {
                    // The stop that was under way died with the old daemon; the guest still runs.
                    Record(vm, runtime with { State = state, Reason = "a stop was interrupted by a daemon restart", Since = DateTimeOffset.UtcNow });
                }
                else if (runtime.State != state)
                {
                    Record(vm, runtime with { State = state, Since = DateTimeOffset.UtcNow });
                }

                ManagerLog.Reattached(_log, vm.Name, pid);
                return;
            }

            // The VMM ended while no daemon was watching (or the daemon died while starting it).
            var verdict = ExitVerdict.Judge(ReadExitReport(vm.Name), status: null,
                runtime.State == ManagedVmState.Stopping ? "stopped by the user (it ended while the daemon was down)" : null,
                vm.Definition.RestartPolicy, DateTimeOffset.UtcNow - runtime.Since, vm.QuickRestarts);
            Record(vm, runtime with
            {
                State = verdict.State, Pid = null, PidStartTicks = null, Since = DateTimeOffset.UtcNow,
                Reason = verdict.Reason + " (while the daemon was down)",
            });
            if (verdict.Restart)
            {
                await Restart(vm).ConfigureAwait(false);
            }
        }
        finally
        {
            vm.Gate.Release();
        }
    }

    /// <summary>Starts every autostart VM that is not running, once per host boot (as libvirt does).</summary>
    private async Task Autostart()
    {
        if (File.Exists(AutostartMarker))
        {
            return;
        }

        foreach (var vm in Snapshot().Where(vm => vm.Definition.Autostart && !vm.IsActive))
        {
            try
            {
                await Locked(vm.Name, v => v.IsActive ? Task.CompletedTask : StartLocked(v, "autostart", restarts: 0)).ConfigureAwait(false);
            }
            catch (ManagerException e)
            {
                ManagerLog.Failed(_log, vm.Name, "autostart", e.Reason);
            }
        }

        Directory.CreateDirectory(_paths.RunDirectory);
        File.WriteAllText(AutostartMarker, DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture) + "\n");
    }
}
