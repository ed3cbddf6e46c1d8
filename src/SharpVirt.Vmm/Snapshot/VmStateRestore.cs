using SharpVirt.Interop.Kvm;
using SharpVirt.Interop.Kvm.Abi;

namespace SharpVirt.Vmm.Snapshot;

/// <summary>Writes a snapshot's machine state into a freshly built VM (before its vCPUs first run).</summary>
internal static class VmStateRestore
{
    public static void Apply(VmSnapshot snapshot, VmFd vm, IReadOnlyList<Vcpu> vcpus, LegacyDevices legacy)
    {
        if (snapshot.Irqchips.Count != 3)
        {
            throw new SnapshotException(SnapshotErrorKind.Corrupt, $"the snapshot has {snapshot.Irqchips.Count} interrupt controllers; 3 expected");
        }

        // The VM-wide pieces first (as Firecracker): the PIT, the clock, the PICs and IOAPIC; then each vCPU.
        vm.SetPit2(VcpuSnapshot.Struct<kvm_pit_state2>(snapshot.Pit, "pit"));
        vm.SetClock(snapshot.ClockNs);
        foreach (var chip in snapshot.Irqchips)
        {
            vm.SetIrqchip(VcpuSnapshot.Struct<kvm_irqchip>(chip, "irqchip"));
        }

        for (var i = 0; i < vcpus.Count; i++)
        {
            snapshot.Vcpus[i].Apply(vcpus[i].Fd);
        }

        legacy.Serial.RestoreState(snapshot.Serial);
        legacy.Cmos.RestoreState(snapshot.Cmos);
        legacy.I8042.RestoreState(snapshot.I8042);
    }
}
