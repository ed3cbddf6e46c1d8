using System.Text.Json;
using SharpVirt.Contracts.Api;
using SharpVirt.Contracts.Manager;
using SharpVirt.Manager.Supervision;

namespace SharpVirt.Manager;

/// <summary>Starting, stopping and watching VMMs, and applying the restart policy.</summary>
public sealed partial class ManagerService
{
    /// <summary>How long a VMM has to answer on its API socket after it is started.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    /// <summary>The default wait for a guest to power off after the power button.</summary>
    public const int DefaultStopTimeoutSeconds = 30;

    /// <summary>Starts the VM's VMM and returns once it runs the guest.</summary>
    public Task<VmStatus> Start(string name) => Locked(name, async vm =>
    {
        if (vm.IsActive)
        {
            throw new ManagerException(ManagerErrorKind.Conflict, name, $"is already {ManagerNames.Of(vm.Runtime.State)}");
        }

        vm.QuickRestarts = 0;
        await StartLocked(vm, "started by the user", restarts: 0).ConfigureAwait(false);
    });

    /// <summary>
    /// Presses the power button and waits up to <paramref name="timeoutSeconds"/> for the guest to power off; then pulls
    /// the plug. <paramref name="force"/> pulls it at once.
    /// </summary>
    public Task<VmStatus> Stop(string name, bool force, int? timeoutSeconds = null) => Locked(name, async vm =>
    {
        var timeout = timeoutSeconds ?? DefaultStopTimeoutSeconds;
        if (timeout is < 0 or > 3600)
        {
            throw new ManagerException(ManagerErrorKind.BadRequest, "timeout_s", $"{timeout}: use 0 to 3600 seconds");
        }

        if (!vm.IsActive || vm.Process is not { } process)
        {
            throw new ManagerException(ManagerErrorKind.Conflict, name, $"is {ManagerNames.Of(vm.Runtime.State)}, not running");
        }

        using var client = new VmmClient(_paths.ApiSocket(name));
        if (!force && timeout > 0)
        {
            var paused = vm.Runtime.State == ManagedVmState.Paused;
            vm.StopRequest = "stopped by the user: the guest powered off after the power button";
            Record(vm, vm.Runtime with { State = ManagedVmState.Stopping, Reason = "the power button was pressed", Since = DateTimeOffset.UtcNow });
            if (paused)
            {
                await TryAct(client, VmAction.Resume).ConfigureAwait(false);
            }

            if (await PressPowerButtonUntilExit(client, process, TimeSpan.FromSeconds(timeout)).ConfigureAwait(false))
            {
                Ended(vm, process);
                return;
            }

            vm.StopRequest = $"stopped by the user: forced off after the guest did not power off within {timeout} s";
        }
        else
        {
            vm.StopRequest = "stopped by the user: forced off";
        }

        // The VMM's own stop ends the process cleanly (disk images closed); SIGKILL if it does not answer.
        if (!await TryAct(client, VmAction.Stop).ConfigureAwait(false) || !await Exits(process, TimeSpan.FromSeconds(10)).ConfigureAwait(false))
        {
            process.Kill();
            await Exits(process, TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }

        Ended(vm, process);
    });

    /// <summary>Freezes or resumes the guest.</summary>
    public Task<VmStatus> Pause(string name, bool pause) => Locked(name, async vm =>
    {
        var from = pause ? ManagedVmState.Running : ManagedVmState.Paused;
        if (vm.Runtime.State != from)
        {
            throw new ManagerException(ManagerErrorKind.Conflict, name, $"is {ManagerNames.Of(vm.Runtime.State)}, not {ManagerNames.Of(from)}");
        }

        using var client = new VmmClient(_paths.ApiSocket(name));
        if (!await client.Act(pause ? VmAction.Pause : VmAction.Resume).ConfigureAwait(false))
        {
            throw new ManagerException(ManagerErrorKind.Host, name, "its VMM does not answer on its API socket");
        }

        Record(vm, vm.Runtime with
        {
            State = pause ? ManagedVmState.Paused : ManagedVmState.Running,
            Reason = pause ? "paused by the user" : "resumed by the user",
            Since = DateTimeOffset.UtcNow,
        });
    });

    private async Task<VmStatus> Locked(string name, Func<ManagedVm, Task> action)
    {
        var vm = Find(name);
        await vm.Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            await action(vm).ConfigureAwait(false);
            return Status(vm);
        }
        finally
        {
            vm.Gate.Release();
        }
    }

    /// <summary>Launches the VMM and waits until it answers; a VMM that ends first leaves the VM crashed, with why.</summary>
    private async Task StartLocked(ManagedVm vm, string reason, int restarts)
    {
        HostCapacity.CheckMemory(vm.Name, vm.Definition.Config.Machine.MemSizeMib);
        vm.StopRequest = null;
        var process = _launcher.Launch(vm.Definition);
        if (process is null)
        {
            var why = $"its VMM ended at once: {_launcher.ConsoleTail(vm.Name)}";
            Record(vm, vm.Runtime with { State = ManagedVmState.Crashed, Pid = null, PidStartTicks = null, Reason = why, Since = DateTimeOffset.UtcNow });
            throw new ManagerException(ManagerErrorKind.Host, vm.Name, why);
        }

        vm.Process = process;
        vm.StartedAt = DateTimeOffset.UtcNow;
        Record(vm, new Store.VmRuntime
        {
            State = ManagedVmState.Starting, Pid = process.Pid, PidStartTicks = process.StartTicks, Reason = reason,
            Since = vm.StartedAt, Restarts = restarts,
        });
        Watch(vm, process);

        using var client = new VmmClient(_paths.ApiSocket(vm.Name));
        var deadline = DateTime.UtcNow + StartTimeout;
        while (!process.Exited.IsCompleted && DateTime.UtcNow < deadline)
        {
            if (await client.TryGetInfo().ConfigureAwait(false) is { State: VmState.Running or VmState.Paused } info)
            {
                Record(vm, vm.Runtime with
                {
                    State = info.State == VmState.Paused ? ManagedVmState.Paused : ManagedVmState.Running,
                    Since = DateTimeOffset.UtcNow,
                });
                return;
            }

            await Task.WhenAny(process.Exited, Task.Delay(50)).ConfigureAwait(false);
        }

        if (!process.Exited.IsCompleted)
        {
            process.Kill();
            await Exits(process, TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            vm.StopRequest = $"its VMM did not answer on {_paths.ApiSocket(vm.Name)} within {StartTimeout.TotalSeconds:0} s and was killed";
        }

        var verdict = Ended(vm, process, allowRestart: false);
        throw new ManagerException(ManagerErrorKind.Host, vm.Name, $"did not start: {verdict.Reason}; console: {_launcher.ConsoleTail(vm.Name)}");
    }

    private void Watch(ManagedVm vm, VmmProcess process) =>
        _watch.Watch(process.Handle, () =>
        {
            process.MarkExited();
            _ = Task.Run(() => OnExited(vm, process));
        });

    /// <summary>How often a graceful stop presses the power button again while it waits.</summary>
    private static readonly TimeSpan PowerButtonRepeat = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Presses the power button, and again every <see cref="PowerButtonRepeat"/>, until the VMM exits or
    /// <paramref name="within"/> has passed: a guest that is still booting has no button driver yet and drops a press.
    /// </summary>
    private static async Task<bool> PressPowerButtonUntilExit(VmmClient client, VmmProcess process, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        for (var left = within; left > TimeSpan.Zero; left = deadline - DateTime.UtcNow)
        {
            await TryAct(client, VmAction.PowerButton).ConfigureAwait(false);
            if (await Exits(process, left < PowerButtonRepeat ? left : PowerButtonRepeat).ConfigureAwait(false))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// An action on the way to stopping a VM: false when the VMM did not take it (gone, or refusing it, as a guest
    /// that is already shutting down may); a stop goes on to the next, harder step then, rather than fail half done.
    /// </summary>
    private static async Task<bool> TryAct(VmmClient client, VmAction action)
    {
        try
        {
            return await client.Act(action).ConfigureAwait(false);
        }
        catch (ManagerException)
        {
            return false;
        }
    }

    private static async Task<bool> Exits(VmmProcess process, TimeSpan within) =>
        await Task.WhenAny(process.Exited, Task.Delay(within)).ConfigureAwait(false) == process.Exited;

    /// <summary>A VMM ended on its own (nobody held its VM's gate waiting for it): record why, maybe restart.</summary>
    private async Task OnExited(ManagedVm vm, VmmProcess process)
    {
        await vm.Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (vm.Process != process)
            {
                return; // a stop or a start already handled this exit
            }

            var verdict = Ended(vm, process);
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

    private async Task Restart(ManagedVm vm)
    {
        vm.QuickRestarts++;
        try
        {
            await StartLocked(vm, $"restarted by the restart policy after: {vm.Runtime.Reason}", vm.Runtime.Restarts + 1).ConfigureAwait(false);
        }
        catch (ManagerException e)
        {
            ManagerLog.Failed(_log, vm.Name, "restart", e.Reason);
        }
    }

    /// <summary>Records how a run ended (the VMM's report, its status, what the user asked) and forgets the process.</summary>
    private ExitVerdict Ended(ManagedVm vm, VmmProcess process, bool allowRestart = true)
    {
        var ranFor = DateTimeOffset.UtcNow - vm.StartedAt;
        if (ranFor >= ExitVerdict.StableRun)
        {
            vm.QuickRestarts = 0;
        }

        var verdict = ExitVerdict.Judge(ReadExitReport(vm.Name), process.ExitStatus(), vm.StopRequest,
            vm.Definition.RestartPolicy, ranFor, vm.QuickRestarts);
        vm.Process = null;
        vm.StopRequest = null;
        process.Dispose();
        Record(vm, vm.Runtime with { State = verdict.State, Pid = null, PidStartTicks = null, Reason = verdict.Reason, Since = DateTimeOffset.UtcNow });
        return allowRestart ? verdict : verdict with { Restart = false };
    }

    private VmmExitReport? ReadExitReport(string name)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(_paths.ExitReport(name)), ManagerJsonContext.Default.VmmExitReport);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return null; // no report: the VMM died without writing one
        }
    }
}
