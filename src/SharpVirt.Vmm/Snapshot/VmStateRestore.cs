using SharpVirt.Interop.Kvm;
using SharpVirt.Interop.Kvm.Abi;

namespace SharpVirt.Vmm.Snapshot;

/// <summary>Writes a snapshot's machine state into a freshly built VM (before its vCPUs first run).</summary>
internal static class VmStateRestore
{
    public static void Apply(VmSnapshot snapshot, VmFd vm, IReadOnlyList<Vcpu> vcpus, LegacyDevices legacy, IReadOnlyList<VmDevice> devices)
    {
        if (snapshot.Devices.Count != devices.Count
            || snapshot.Devices.Where((d, i) => d.Name != devices[i].Name || d.Kind != devices[i].Kind).Any())
        {
            throw new SnapshotException(SnapshotErrorKind.Corrupt,
                $"the snapshot's devices ({string.Join(", ", snapshot.Devices.Select(d => d.Name))}) are not the ones its configuration builds ({string.Join(", ", devices.Select(d => d.Name))})");
        }

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

        // Last: an activated device starts serving its queues at once, from the restored memory.
        for (var i = 0; i < devices.Count; i++)
        {
            var saved = snapshot.Devices[i];
            if (saved.State is { } state)
            {
                devices[i].Device.RestoreDeviceState(state);
            }

            try
            {
                devices[i].Transport.RestoreState(saved.Transport, saved.Queues);
            }
            catch (ArgumentException e)
            {
                throw new SnapshotException(SnapshotErrorKind.Corrupt, $"device {saved.Name}: {e.Message}");
            }
        }
    }
}
