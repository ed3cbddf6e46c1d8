using Microsoft.Data.Sqlite;
using SharpVirt.Contracts;
using SharpVirt.Contracts.Manager;
using SharpVirt.Manager;
using SharpVirt.Manager.Store;

namespace SharpVirt.Manager.Tests;

/// <summary>The SQLite store on a real database file: what is written is read back after a reopen, and bad cases are refused.</summary>
public sealed class StoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sv-store-").FullName;

    private string Database => Path.Combine(_dir, "sharpvirt.db");

    internal static VmDefinition Definition(string name, int vcpus = 1) => new()
    {
        Name = name,
        Config = new VmConfig
        {
            BootSource = new BootSourceConfig { KernelImagePath = "/boot/vmlinux", BootArgs = "console=ttyS0" },
            Machine = new MachineConfig { VcpuCount = vcpus, MemSizeMib = 128 },
            Drives = [new DriveConfig { DriveId = "root", PathOnHost = "/var/lib/sharpvirt/images/a.raw" }],
        },
        Autostart = true,
        RestartPolicy = RestartPolicy.OnFailure,
    };

    [Fact]
    public void A_definition_and_its_run_record_survive_a_reopen()
    {
        var since = new DateTimeOffset(2026, 12, 3, 10, 0, 0, TimeSpan.Zero);
        using (var store = SqliteManagerStore.Open(Database))
        {
            store.InsertVm(Definition("web1", vcpus: 2), VmRuntime.Initial(since));
            store.UpdateRuntime("web1", new VmRuntime
            {
                State = ManagedVmState.Running, Pid = 4242, PidStartTicks = 123456789012, Reason = "started by the user",
                Since = since, Restarts = 3,
            });
        }

        using var reopened = SqliteManagerStore.Open(Database);
        var vm = Assert.Single(reopened.LoadVms());
        Assert.Equal("web1", vm.Definition.Name);
        Assert.Equal(2, vm.Definition.Config.Machine.VcpuCount);
        Assert.Equal("/var/lib/sharpvirt/images/a.raw", Assert.Single(vm.Definition.Config.Drives).PathOnHost);
        Assert.True(vm.Definition.Autostart);
        Assert.Equal(RestartPolicy.OnFailure, vm.Definition.RestartPolicy);
        Assert.Equal(ManagedVmState.Running, vm.Runtime.State);
        Assert.Equal(4242, vm.Runtime.Pid);
        Assert.Equal(123456789012UL, vm.Runtime.PidStartTicks);
        Assert.Equal("started by the user", vm.Runtime.Reason);
        Assert.Equal(since, vm.Runtime.Since);
        Assert.Equal(3, vm.Runtime.Restarts);
    }

    [Fact]
    public void A_taken_name_is_a_conflict_and_the_first_definition_stays()
    {
        using var store = SqliteManagerStore.Open(Database);
        store.InsertVm(Definition("web1", vcpus: 1), VmRuntime.Initial(DateTimeOffset.UtcNow));
        var e = Assert.Throws<ManagerException>(() => store.InsertVm(Definition("web1", vcpus: 4), VmRuntime.Initial(DateTimeOffset.UtcNow)));
        Assert.Equal(ManagerErrorKind.Conflict, e.Kind);
        Assert.Equal(1, Assert.Single(store.LoadVms()).Definition.Config.Machine.VcpuCount);
    }

    [Fact]
    public void Update_and_delete_change_only_the_named_vm()
    {
        using var store = SqliteManagerStore.Open(Database);
        store.InsertVm(Definition("a"), VmRuntime.Initial(DateTimeOffset.UtcNow));
        store.InsertVm(Definition("b"), VmRuntime.Initial(DateTimeOffset.UtcNow));
        store.UpdateDefinition(Definition("a") with { Autostart = false });
        store.DeleteVm("b");
        var vm = Assert.Single(store.LoadVms());
        Assert.Equal("a", vm.Definition.Name);
        Assert.False(vm.Definition.Autostart);
    }

    [Fact]
    public void A_new_database_is_migrated_to_the_current_schema_version()
    {
        SqliteManagerStore.Open(Database).Dispose();
        Assert.Equal(1, UserVersion());
        Assert.Equal("wal", Scalar("PRAGMA journal_mode"));
    }

    [Fact]
    public void A_database_from_a_newer_sharpvirt_is_refused_and_left_as_it_is()
    {
        SqliteManagerStore.Open(Database).Dispose();
        Scalar("PRAGMA user_version = 99");
        var e = Assert.Throws<ManagerException>(() => SqliteManagerStore.Open(Database));
        Assert.Equal("database", e.Field);
        Assert.Contains("schema version 99", e.Reason, StringComparison.Ordinal);
        Assert.Equal(99, UserVersion());
    }

    private int UserVersion() => Convert.ToInt32(Scalar("PRAGMA user_version"), System.Globalization.CultureInfo.InvariantCulture);

    private object? Scalar(string sql)
    {
        using var db = new SqliteConnection($"Data Source={Database};Pooling=False");
        db.Open();
        using var command = db.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
