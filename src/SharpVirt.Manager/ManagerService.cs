using Microsoft.Extensions.Logging;
using SharpVirt.Contracts.Manager;
using SharpVirt.Manager.Store;
using SharpVirt.Manager.Supervision;

namespace SharpVirt.Manager;

/// <summary>
/// The manager: persistent VM definitions (define is not start), and one supervised VMM process per running VM. The
/// daemon's API calls only this; its state lives in an <see cref="IManagerStore"/>, so a restarted daemon carries on
/// (see <see cref="Open"/>).
/// </summary>
public sealed partial class ManagerService : IDisposable
{
    private readonly IManagerStore _store;
    private readonly ConfigChecker _checkConfig;
    private readonly VmmLauncher _launcher;
    private readonly ManagerPaths _paths;
    private readonly ILogger _log;
    private readonly ProcessWatch _watch = new();
    private readonly Dictionary<string, ManagedVm> _vms = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    private ManagerService(IManagerStore store, ConfigChecker checkConfig, VmmLauncher launcher, ManagerPaths paths, ILogger log)
    {
        _store = store;
        _checkConfig = checkConfig;
        _launcher = launcher;
        _paths = paths;
        _log = log;
    }

    /// <summary>
    /// Loads every VM from <paramref name="store"/>, re-attaches to the VMMs that still run (and records how the others
    /// ended while no daemon watched), then starts the autostart VMs once per host boot.
    /// </summary>
    public static async Task<ManagerService> Open(IManagerStore store, ConfigChecker checkConfig, VmmLauncher launcher,
        ManagerPaths paths, ILogger log)
    {
        var service = new ManagerService(store, checkConfig, launcher, paths, log);
        foreach (var stored in store.LoadVms())
        {
            service._vms[stored.Definition.Name] = new ManagedVm(stored.Definition, stored.Runtime);
        }

        foreach (var vm in service.Snapshot())
        {
            await service.Recover(vm).ConfigureAwait(false);
        }

        await service.Autostart().ConfigureAwait(false);
        return service;
    }

    /// <summary>Every VM, by name.</summary>
    public IReadOnlyList<VmStatus> List() => [.. Snapshot().OrderBy(vm => vm.Name, StringComparer.Ordinal).Select(Status)];

    /// <summary>One VM's status.</summary>
    public VmStatus Get(string name) => Status(Find(name));

    /// <summary>One VM's definition.</summary>
    public VmDefinition GetDefinition(string name) => Find(name).Definition;

    /// <summary>Checks and stores a new definition; the VM is not started.</summary>
    public VmStatus Define(VmDefinition definition)
    {
        DefinitionRules.Check(definition, _checkConfig);
        var vm = new ManagedVm(definition, VmRuntime.Initial(DateTimeOffset.UtcNow) with { Reason = "defined" });
        lock (_lock)
        {
            if (_vms.ContainsKey(definition.Name))
            {
                throw new ManagerException(ManagerErrorKind.Conflict, "name", $"a VM named '{definition.Name}' is already defined");
            }

            _store.InsertVm(definition, vm.Runtime);
            _vms[definition.Name] = vm;
        }

        return Status(vm);
    }

    /// <summary>Changes the settings a VM may change in any state (autostart, restart policy).</summary>
    public async Task<VmStatus> Update(string name, VmDefinitionUpdate update)
    {
        var vm = Find(name);
        await vm.Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            var changed = vm.Definition with
            {
                Autostart = update.Autostart ?? vm.Definition.Autostart,
                RestartPolicy = update.RestartPolicy ?? vm.Definition.RestartPolicy,
            };
            _store.UpdateDefinition(changed);
            vm.Definition = changed;
            return Status(vm);
        }
        finally
        {
            vm.Gate.Release();
        }
    }

    /// <summary>Removes a stopped VM's definition and its files (console log, config); its disks are left alone.</summary>
    public async Task Undefine(string name)
    {
        var vm = Find(name);
        await vm.Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (vm.IsActive)
            {
                throw new ManagerException(ManagerErrorKind.Conflict, name, $"is {ManagerNames.Of(vm.Runtime.State)}: stop it first");
            }

            lock (_lock)
            {
                _store.DeleteVm(name);
                _vms.Remove(name);
            }

            try
            {
                Directory.Delete(_paths.VmDirectory(name), recursive: true);
            }
            catch (DirectoryNotFoundException)
            {
            }
        }
        finally
        {
            vm.Gate.Release();
        }
    }

    private ManagedVm Find(string name)
    {
        lock (_lock)
        {
            return _vms.TryGetValue(name, out var vm) ? vm
                : throw new ManagerException(ManagerErrorKind.NotFound, "name", $"no VM named '{name}' is defined");
        }
    }

    private List<ManagedVm> Snapshot()
    {
        lock (_lock)
        {
            return [.. _vms.Values];
        }
    }

    private VmStatus Status(ManagedVm vm)
    {
        var runtime = vm.Runtime;
        var running = vm.IsActive;
        return new VmStatus
        {
            Name = vm.Name,
            State = runtime.State,
            Vcpus = vm.Definition.Config.Machine.VcpuCount,
            MemoryMib = vm.Definition.Config.Machine.MemSizeMib,
            Pid = running ? runtime.Pid : null,
            ApiSocket = running ? _paths.ApiSocket(vm.Name) : null,
            ConsoleLog = _paths.ConsoleLog(vm.Name),
            Reason = runtime.Reason,
            Since = runtime.Since,
            Restarts = runtime.Restarts,
            Autostart = vm.Definition.Autostart,
            RestartPolicy = vm.Definition.RestartPolicy,
        };
    }

    private void Record(ManagedVm vm, VmRuntime runtime)
    {
        _store.UpdateRuntime(vm.Name, runtime);
        vm.Runtime = runtime;
        var state = ManagerNames.Of(runtime.State);
        ManagerLog.StateChanged(_log, vm.Name, state, runtime.Reason);
    }

    /// <summary>Stops watching; running VMMs keep running (the next daemon re-attaches to them).</summary>
    public void Dispose()
    {
        _watch.Dispose();
        foreach (var vm in Snapshot())
        {
            vm.Process?.Dispose();
        }

        _store.Dispose();
    }
}
