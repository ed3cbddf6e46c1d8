using System.Net.Sockets;
using SharpVirt.Contracts;
using SharpVirt.Contracts.Api;
using SharpVirt.Memory;
using SharpVirt.Vmm.Migration;
using SharpVirt.Vmm.Snapshot;

namespace SharpVirt.Vmm.Control;

/// <summary>
/// Live migration: sending the running guest to another VMM (<c>PUT /migrate</c>) and receiving one
/// (<c>vmm --incoming</c>). The transfer runs on its own thread; what it does to the VM comes back here as commands.
/// </summary>
public sealed partial class VmmController : IMigrationSourceHost, IMigrationTargetHost
{
    private MigrationSource? _migration;
    private bool _frozenForMigration;
    private bool _releasedForMigration;
    private MigrationTarget? _incoming;
    private (Vm Vm, VmSpec Spec, VmConfig Config)? _received;

    /// <summary>Starts moving the running guest to the VMM at <see cref="MigrationRequest.DestinationUrl"/>; returns at once.</summary>
    public Task StartMigration(MigrationRequest request) => Post(() =>
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.DowntimeLimitMs is < 1 or > 60_000)
        {
            throw new VmmControlException(VmmControlErrorKind.BadRequest, "downtime_limit_ms", $"{request.DowntimeLimitMs} is not from 1 to 60000 ms");
        }

        if (request.MaxRounds is < 1 or > 1000)
        {
            throw new VmmControlException(VmmControlErrorKind.BadRequest, "max_rounds", $"{request.MaxRounds} is not from 1 to 1000");
        }

        var address = MigrationAddress.TryParse(request.DestinationUrl, out var error)
            ?? throw new VmmControlException(VmmControlErrorKind.BadRequest, "destination_url", error!);
        Require(VmState.Running, "migrate");
        RequireNoMigration("start another migration");
        _migration = new MigrationSource(_vm!, ConfigAsBuilt(), address, request, this);
        _migration.Start();
    });

    private readonly TaskCompletionSource _endReported = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// The migration's progress, or how the last one ended; with <paramref name="waitMs"/>, an active one is waited
    /// for that long first (a long poll: the answer comes as soon as it ends).
    /// </summary>
    public async Task<MigrationStatus> GetMigration(int waitMs = 0)
    {
        var migration = await Post(() => _migration).ConfigureAwait(false);
        if (migration is null)
        {
            return new MigrationStatus { State = MigrationState.None };
        }

        if (waitMs > 0 && !migration.Finished.IsCompleted)
        {
            await Task.WhenAny(migration.Finished, Task.Delay(waitMs)).ConfigureAwait(false);
        }

        var status = migration.Status;
        if (status.State == MigrationState.Completed)
        {
            _endReported.TrySetResult();
        }

        return status;
    }

    /// <summary>
    /// After a completed migration, waits (at most <paramref name="timeout"/>) until a client has been told it completed,
    /// so that the one following it (<c>sharpvirt vm migrate</c>) hears the end before this VMM exits.
    /// </summary>
    public bool WaitUntilMigrationReported(TimeSpan timeout) => _endReported.Task.Wait(timeout);

    /// <summary>Stops the migration in progress; the guest runs on here.</summary>
    public Task CancelMigration() => Post(() =>
    {
        if (_migration is not { IsActive: true } migration)
        {
            throw VmmControlException.WrongState("no migration is in progress");
        }

        migration.Cancel(byUser: true);
    });

    /// <summary>
    /// Waits for a guest sent by another VMM (instead of booting): listens on <paramref name="url"/> (tcp:HOST:PORT) and
    /// returns the port listened on; the guest runs once received, and a failed transfer ends this VMM.
    /// </summary>
    public Task<int> ReceiveMigration(string url) => Post(() =>
    {
        Require(VmState.NotStarted, "receive a migration");
        var address = MigrationAddress.TryParse(url, out var error, listening: true)
            ?? throw new VmmControlException(VmmControlErrorKind.BadRequest, "incoming", error!);
        try
        {
            _incoming = new MigrationTarget(address, this);
        }
        catch (Exception e) when (e is SocketException or MigrationException)
        {
            throw new VmmControlException(VmmControlErrorKind.Failed, "incoming", $"cannot listen on {address}: {e.Message}");
        }

        _incoming.Start();
        return _incoming.Port;
    });

    private void RequireNoMigration(string command)
    {
        if (_migration is { IsActive: true } migration)
        {
            throw VmmControlException.WrongState($"cannot {command}: a migration to {migration.Status.DestinationUrl} is in progress");
        }
    }

    /// <summary>The configuration as the running devices have it (random MACs written down), for a snapshot or migration.</summary>
    private VmConfig ConfigAsBuilt() => _config! with
    {
        NetworkInterfaces = [.. _config.NetworkInterfaces.Select((n, i) => n with { GuestMac = _spec!.Nets[i].MacText })],
    };

    /// <summary>The guest is ending: a migration still sending stops before its memory goes away.</summary>
    private void CancelMigrationForExit()
    {
        _migration?.Cancel(byUser: false);
        _incoming?.Stop();
        _received?.Vm.Dispose();
        _received = null;
    }

    VmSnapshot IMigrationSourceHost.Freeze(MigrationSource migration, CancellationToken cancel) => Post(() =>
    {
        if (cancel.IsCancellationRequested || migration != _migration || _vm is null || _state != VmState.Running)
        {
            throw new MigrationException("the guest is not running any more");
        }

        if (!_vm.Pause())
        {
            throw new MigrationException("the guest is stopping");
        }

        _state = VmState.Paused;
        _frozenForMigration = true;
        return _vm.CaptureState(ConfigAsBuilt());
    }).WaitAsync(cancel).GetAwaiter().GetResult();

    string? IMigrationSourceHost.Release(MigrationSource migration, CancellationToken cancel) => Post(() =>
    {
        if (cancel.IsCancellationRequested || migration != _migration || _vm is null)
        {
            return "the migration was cancelled";
        }

        var why = _vm.ReleaseHost();
        _releasedForMigration = why is null;
        return why;
    }).WaitAsync(cancel).GetAwaiter().GetResult();

    void IMigrationSourceHost.Ended(MigrationSource migration, bool completed) => _commands.Writer.TryWrite(() =>
    {
        if (migration != _migration || _vm is not { } vm)
        {
            return; // the guest ended meanwhile
        }

        if (completed)
        {
            StopOnLoop(new VmOutcome(VmOutcomeKind.Migrated, $"the guest migrated to {migration.Status.DestinationUrl}"));
            return;
        }

        if (_releasedForMigration)
        {
            _releasedForMigration = false;
            foreach (var why in vm.ReclaimHost())
            {
                migration.Note($"could not take back {why}");
            }
        }

        if (_frozenForMigration)
        {
            _frozenForMigration = false;
            if (vm.Resume())
            {
                _state = VmState.Running;
            }
        }
    });

    void IMigrationTargetHost.Build(VmSnapshot snapshot, VmSpec spec, GuestMemory memory) => Post(() =>
    {
        if (_state != VmState.NotStarted || _incoming is null)
        {
            memory.Dispose();
            throw new MigrationException("the VMM is stopping");
        }

        _received = (VmBuilder.Restore(spec, _console, snapshot, memory), spec, snapshot.Config);
    }).GetAwaiter().GetResult();

    void IMigrationTargetHost.Run() => Post(() =>
    {
        if (_received is not { } received)
        {
            throw new MigrationException("the VMM is stopping");
        }

        _received = null;
        _incoming = null;
        _spec = received.Spec;
        _config = received.Config;
        Run(received.Vm);
        _uptime.Start();
    }).GetAwaiter().GetResult();

    void IMigrationTargetHost.Failed(string reason) => _commands.Writer.TryWrite(() =>
    {
        _received?.Vm.Dispose();
        _received = null;
        _incoming = null;
        if (_state == VmState.NotStarted && _stopRequest is null)
        {
            Finish(new VmOutcome(VmOutcomeKind.Error, reason));
        }
    });
}
