using System.Diagnostics;
using System.Threading.Channels;
using SharpVirt.Contracts;
using SharpVirt.Contracts.Api;

namespace SharpVirt.Vmm.Control;

/// <summary>
/// The VMM's control loop: one thread that owns the pending configuration and the running <see cref="Vm"/>, and
/// runs every command (from the REST API, the CLI, signals) one after another. Callers never touch the VM: each
/// public method posts a command to the loop's channel and completes with its result, or with a
/// <see cref="VmmControlException"/> saying why it was refused (Firecracker's API thread / VMM thread split).
/// </summary>
public sealed partial class VmmController : IDisposable
{
    private readonly Channel<Action> _commands = Channel.CreateUnbounded<Action>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TaskCompletionSource<VmOutcome> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Thread _thread;
    private readonly ConsoleBackend _console;
    private readonly Func<Vm, IDisposable?> _attach;
    private readonly PendingConfig _pending = new();
    private readonly Stopwatch _uptime = new();
    private VmConfig? _config;
    private VmSpec? _spec;
    private Vm? _vm;
    private IDisposable? _attachment;
    private VmOutcome? _stopRequest;
    private VmState _state = VmState.NotStarted;

    /// <summary>Creates the controller and its loop thread.</summary>
    /// <param name="id">The instance's name in <c>GET /</c>.</param>
    /// <param name="console">Where the guest's serial console goes.</param>
    /// <param name="attach">Called on the loop thread for each VM built (each boot, a reboot builds a new one): wires the
    /// host's terminal to it; the result is disposed when that VM ends.</param>
    public VmmController(string id, ConsoleBackend console, Func<Vm, IDisposable?>? attach = null)
    {
        Id = id;
        _console = console;
        _attach = attach ?? (_ => null);
        _thread = new Thread(Loop) { Name = "vmm-control", IsBackground = true };
        _thread.Start();
    }

    /// <summary>The instance's name.</summary>
    public string Id { get; }

    /// <summary>Completes when the guest has stopped for good (power-off, panic, stop, a reboot with on_reboot=exit).</summary>
    public Task<VmOutcome> Completion => _completion.Task;

    /// <summary>The VMM's version, as <c>GET /</c> reports it.</summary>
    public static string Version => VmmInfo.Version;

    /// <summary>What the VMM is and what its guest does.</summary>
    public Task<InstanceInfo> GetInfo() => Post(() => new InstanceInfo
    {
        Id = Id,
        State = _state,
        VmmVersion = Version,
        UptimeSeconds = Math.Round(_uptime.Elapsed.TotalSeconds, 3),
        StopReason = _completion.Task.IsCompleted ? _completion.Task.Result.Message : null,
    });

    /// <summary>The whole configuration: what the guest was started with, or what has been given so far.</summary>
    public Task<VmConfig?> GetConfig() => Post(() => _config ?? (_pending.BootSource is null ? null : _pending.ToConfig()));

    /// <summary>Sets vCPUs, memory, CPU template and reboot policy (before start).</summary>
    public Task SetMachine(MachineConfig machine) => PreBoot("machine-config", () => _pending.SetMachine(machine));

    /// <summary>Sets the kernel, initrd and command line (before start).</summary>
    public Task SetBootSource(BootSourceConfig boot) => PreBoot("boot-source", () => _pending.SetBootSource(boot));

    /// <summary>Adds or replaces drive <paramref name="id"/> (before start).</summary>
    public Task SetDrive(string id, DriveConfig drive) => PreBoot("drives", () => _pending.SetDrive(id, drive));

    /// <summary>Adds or replaces network card <paramref name="id"/> (before start).</summary>
    public Task SetNetworkInterface(string id, NetworkInterfaceConfig net) =>
        PreBoot("network-interfaces", () => _pending.SetNetworkInterface(id, net));

    /// <summary>Sets the balloon (before start; PATCH changes the target afterwards).</summary>
    public Task SetBalloon(BalloonConfig balloon) => PreBoot("balloon", () => _pending.SetBalloon(balloon));

    /// <summary>Sets the vsock device (before start).</summary>
    public Task SetVsock(VsockConfig vsock) => PreBoot("vsock", () => _pending.SetVsock(vsock));

    /// <summary>Adds the entropy device (before start).</summary>
    public Task SetEntropy(EntropyConfig entropy) => PreBoot("entropy", () => _pending.SetEntropy(entropy));

    /// <summary>Sets the virtio console (before start).</summary>
    public Task SetConsole(ConsoleConfig console) => PreBoot("console", () => _pending.SetConsole(console));

    /// <summary>Builds the VM from the configuration given and boots it.</summary>
    public Task Start() => Post(StartOnLoop);

    /// <summary>
    /// Boots a whole configuration checked already (the command line's or a config file's), so its errors keep the
    /// names they have there; the API's resources given before are replaced by it.
    /// </summary>
    public Task Start(VmConfig config, VmSpec spec) => Post(() =>
    {
        Require(VmState.NotStarted, "start");
        _spec = spec;
        Boot();
        _config = config;
        _uptime.Start();
    });

    /// <summary>Freezes the guest.</summary>
    public Task Pause() => Post(() =>
    {
        Require(VmState.Running, "pause");
        RequireNoMigration("pause");
        if (!_vm!.Pause())
        {
            throw VmmControlException.WrongState("cannot pause: the guest is stopping");
        }

        _state = VmState.Paused;
    });

    /// <summary>Runs a paused guest again.</summary>
    public Task Resume() => Post(() =>
    {
        Require(VmState.Paused, "resume");
        RequireNoMigration("resume");
        if (!_vm!.Resume())
        {
            throw VmmControlException.WrongState("cannot resume: the guest is stopping");
        }

        _state = VmState.Running;
    });

    /// <summary>The machine configuration (what the guest runs with once started).</summary>
    public Task<MachineConfig> GetMachine() => Post(() => _config?.Machine ?? _pending.Machine);

    /// <summary>Ends the VM now, as pulling the plug (before start too, which ends the VMM); 409 once stopped.</summary>
    public Task Stop(string reason) => Post(() =>
    {
        if (_state == VmState.Stopped || _stopRequest is not null)
        {
            throw VmmControlException.WrongState("the guest is already stopped or stopping");
        }

        StopOnLoop(new VmOutcome(VmOutcomeKind.UserQuit, reason));
    });

    /// <summary>Ends the VM now (as pulling the plug); also before start, which ends the VMM.</summary>
    public void RequestStop(string reason) => _commands.Writer.TryWrite(() => StopOnLoop(new VmOutcome(VmOutcomeKind.UserQuit, reason)));

    /// <summary>Runs <paramref name="action"/> on the loop thread and completes with its result.</summary>
    private Task<T> Post<T>(Func<T> action)
    {
        var result = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_commands.Writer.TryWrite(() =>
            {
                try
                {
                    result.SetResult(action());
                }
                catch (Exception e)
                {
                    result.SetException(e);
                }
            }))
        {
            result.SetException(VmmControlException.WrongState("the VMM is shutting down"));
        }

        return result.Task;
    }

    private Task<bool> Post(Action action) => Post(() =>
    {
        action();
        return true;
    });

    private Task<bool> PreBoot(string resource, Action action) => Post(() =>
    {
        if (_state != VmState.NotStarted || _incoming is not null)
        {
            throw VmmControlException.WrongState(_incoming is not null
                ? $"the VMM waits for an incoming migration: {resource} comes with the guest"
                : $"the guest is {Describe(_state)}: {resource} can only be set before start");
        }

        action();
    });

    private void Require(VmState state, string command)
    {
        if (_incoming is not null)
        {
            throw VmmControlException.WrongState($"cannot {command}: the VMM waits for an incoming migration");
        }

        if (_state != state)
        {
            throw VmmControlException.WrongState($"cannot {command}: the guest is {Describe(_state)}");
        }
    }

    private static string Describe(VmState state) => state switch
    {
        VmState.NotStarted => "not started",
        VmState.Running => "running",
        VmState.Paused => "paused",
        _ => "stopped",
    };

    private void StartOnLoop()
    {
        Require(VmState.NotStarted, "start");
        var config = _pending.ToConfig();
        try
        {
            _spec = VmSpecFactory.Create(config);
        }
        catch (ConfigException e)
        {
            throw new VmmControlException(VmmControlErrorKind.BadRequest, e.Field, e.Reason);
        }

        Boot();
        _config = config;
        _uptime.Start();
    }

    /// <summary>Builds and runs a VM from the spec (start, and each reboot with on_reboot=restart).</summary>
    private void Boot()
    {
        Vm vm;
        try
        {
            vm = VmBuilder.Build(_spec!, _console);
        }
        catch (ConfigException e)
        {
            throw new VmmControlException(VmmControlErrorKind.BadRequest, e.Field, e.Reason);
        }
        catch (Exception e) when (VmmErrors.IsHostFailure(e))
        {
            throw new VmmControlException(VmmControlErrorKind.Failed, null, e.Message);
        }

        Run(vm);
    }

    /// <summary>Wires a built VM to the console and starts its vCPUs; its end comes back to the loop.</summary>
    private void Run(Vm vm)
    {
        _vm = vm;
        _attachment = _attach(vm);
        _state = VmState.Running;
        _ = vm.RunAsync().ContinueWith(
            t => _commands.Writer.TryWrite(() => OnVmEnded(vm, t.IsCompletedSuccessfully
                ? t.Result
                : new VmOutcome(VmOutcomeKind.Error, t.Exception?.InnerException?.Message ?? "the VM failed"))),
            TaskScheduler.Default);
    }

    private void OnVmEnded(Vm vm, VmOutcome outcome)
    {
        if (vm != _vm)
        {
            return;
        }

        CancelMigrationForExit(); // before the VM's memory goes away
        _attachment?.Dispose();
        _attachment = null;
        vm.Dispose();
        _vm = null;
        if (_stopRequest is null && outcome.Kind == VmOutcomeKind.Reboot && _config!.Machine.OnReboot == RebootAction.Restart)
        {
            try
            {
                if (_spec!.Kernel.Length == 0)
                {
                    _spec = VmSpecFactory.Create(_config); // restored from a snapshot: the reboot needs the kernel
                }

                Boot();
                return;
            }
            catch (ConfigException e)
            {
                outcome = new VmOutcome(VmOutcomeKind.Error, $"the guest rebooted and could not start again: {e.Message}");
            }
            catch (VmmControlException e)
            {
                outcome = new VmOutcome(VmOutcomeKind.Error, $"the guest rebooted and could not start again: {e.Message}");
            }
        }

        Finish(_stopRequest ?? outcome);
    }

    private void StopOnLoop(VmOutcome outcome)
    {
        _stopRequest ??= outcome;
        if (_vm is { } vm)
        {
            vm.Exit.Set(outcome); // OnVmEnded finishes once the vCPUs have stopped (parked ones too)
            return;
        }

        Finish(outcome);
    }

    private void Finish(VmOutcome outcome)
    {
        CancelMigrationForExit();
        _state = VmState.Stopped;
        _uptime.Stop();
        _completion.TrySetResult(outcome);
    }

    private void Loop()
    {
        var reader = _commands.Reader;
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (reader.TryRead(out var command))
            {
                try
                {
                    command();
                }
                catch (Exception e)
                {
                    // Commands from callers report their own errors; this is the VM's end going wrong: stop for good
                    // rather than leave the VMM waiting on a loop that no longer runs.
                    Finish(new VmOutcome(VmOutcomeKind.Error, $"the VMM's control loop failed: {e.Message}"));
                }
            }
        }
    }

    /// <summary>Stops the guest (if it runs), waits for it, and ends the loop thread.</summary>
    public void Dispose()
    {
        RequestStop("the VMM is shutting down");
        Completion.Wait(TimeSpan.FromSeconds(30));
        _commands.Writer.TryComplete();
        _thread.Join(TimeSpan.FromSeconds(5));
    }
}
