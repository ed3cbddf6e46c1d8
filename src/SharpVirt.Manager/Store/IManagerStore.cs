using SharpVirt.Contracts.Manager;

namespace SharpVirt.Manager.Store;

/// <summary>One stored VM: its definition and the record of its current run.</summary>
public sealed record StoredVm(VmDefinition Definition, VmRuntime Runtime);

/// <summary>
/// The manager's persistent state, behind one interface so that a multi-host setup can keep it in PostgreSQL; the
/// embedded default is <see cref="SqliteManagerStore"/>. Every method is one transaction.
/// </summary>
public interface IManagerStore : IDisposable
{
    /// <summary>Every VM, ordered by name.</summary>
    IReadOnlyList<StoredVm> LoadVms();

    /// <summary>Adds a VM; a <see cref="ManagerException"/> (Conflict) if the name is taken.</summary>
    void InsertVm(VmDefinition definition, VmRuntime runtime);

    /// <summary>Replaces a VM's definition.</summary>
    void UpdateDefinition(VmDefinition definition);

    /// <summary>Replaces a VM's run record.</summary>
    void UpdateRuntime(string name, VmRuntime runtime);

    /// <summary>Removes a VM and its run record.</summary>
    void DeleteVm(string name);
}
