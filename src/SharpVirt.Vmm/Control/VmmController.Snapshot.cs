using System.Diagnostics;
using SharpVirt.Contracts;
using SharpVirt.Contracts.Api;
using SharpVirt.Vmm.Snapshot;

namespace SharpVirt.Vmm.Control;

/// <summary>Snapshots: freeze the guest to a directory, and start a VMM from one instead of booting.</summary>
public sealed partial class VmmController
{
    /// <summary>
    /// Writes the guest's state and memory to <paramref name="directory"/>. A running guest is paused for it and runs
    /// on afterwards; a paused one stays paused.
    /// </summary>
    public Task<SnapshotReport> CreateSnapshot(string directory) => Post(() =>
    {
        if (_state is not (VmState.Running or VmState.Paused))
        {
            throw VmmControlException.WrongState($"cannot snapshot: the guest is {Describe(_state)}");
        }

        RequireNoMigration("snapshot");
        CheckPath(directory);
        var wasRunning = _state == VmState.Running;
        var paused = Stopwatch.StartNew();
        if (wasRunning && !_vm!.Pause())
        {
            throw VmmControlException.WrongState("cannot snapshot: the guest is stopping");
        }

        try
        {
            Directory.CreateDirectory(directory);
            // Random MACs are written down, so the restored guest's cards keep theirs.
            var state = _vm!.CaptureState(ConfigAsBuilt());
            var written = MemoryFile.Write(directory, _vm.Memory);
            SnapshotFile.Write(directory, state);
            return new SnapshotReport
            {
                SnapshotPath = Path.GetFullPath(directory),
                MemoryBytes = (long)_vm.Memory.TotalSize,
                MemoryBytesWritten = written,
                PausedMs = Math.Round(paused.Elapsed.TotalMilliseconds, 1),
            };
        }
        catch (Exception e) when (e is SnapshotException or IOException or UnauthorizedAccessException)
        {
            throw new VmmControlException(VmmControlErrorKind.Failed, "snapshot_path", e.Message);
        }
        finally
        {
            if (wasRunning)
            {
                _vm!.Resume();
            }
        }
    });

    /// <summary>Builds the VM a snapshot froze and runs it (or leaves it paused), instead of booting.</summary>
    public Task LoadSnapshot(string directory, bool resume = true) => Post(() =>
    {
        Require(VmState.NotStarted, "load a snapshot");
        CheckPath(directory);
        VmSnapshot snapshot;
        VmSpec spec;
        try
        {
            snapshot = SnapshotFile.Read(directory);
            spec = VmSpecFactory.ForRestore(snapshot.Config);
        }
        catch (SnapshotException e)
        {
            throw new VmmControlException(VmmControlErrorKind.BadRequest, "snapshot_path", e.Message);
        }
        catch (ConfigException e)
        {
            throw new VmmControlException(VmmControlErrorKind.BadRequest, "snapshot_path", $"the snapshot's configuration: {e.Message}");
        }

        Vm vm;
        IReadOnlyList<(ulong Address, ulong Length)> data;
        try
        {
            using var memory = MemoryFile.Open(directory, snapshot.Memory);
            data = MemoryFile.DataExtents(memory, snapshot.Memory);
            vm = VmBuilder.Restore(spec, _console, snapshot, memory);
        }
        catch (SnapshotException e)
        {
            throw new VmmControlException(VmmControlErrorKind.BadRequest, "snapshot_path", e.Message);
        }
        catch (Exception e) when (VmmErrors.IsHostFailure(e))
        {
            throw new VmmControlException(VmmControlErrorKind.Failed, null, e.Message);
        }

        _spec = spec;
        Run(vm);
        MemoryPrefault.Start(vm, data);
        _config = snapshot.Config;
        _uptime.Start();
        if (!resume && vm.Pause())
        {
            _state = VmState.Paused;
        }
    });

    private static void CheckPath(string directory)
    {
        if (string.IsNullOrWhiteSpace(directory))
        {
            throw new VmmControlException(VmmControlErrorKind.BadRequest, "snapshot_path", "no directory given");
        }

        if (File.Exists(directory))
        {
            throw new VmmControlException(VmmControlErrorKind.BadRequest, "snapshot_path", $"{directory} is a file, not a directory");
        }
    }
}
