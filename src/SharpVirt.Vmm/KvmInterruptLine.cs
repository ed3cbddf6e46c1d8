using SharpVirt.Devices;
using SharpVirt.Interop.Kvm;

namespace SharpVirt.Vmm;

/// <summary>A GSI of KVM's in-kernel irqchip driven with KVM_IRQ_LINE.</summary>
public sealed class KvmInterruptLine(VmFd vm, uint gsi) : IInterruptTrigger
{
    /// <summary>The global system interrupt number.</summary>
    public uint Gsi { get; } = gsi;

    /// <inheritdoc />
    public void SetLevel(bool asserted) => vm.SetIrqLine(Gsi, asserted);

    /// <inheritdoc />
    public void Pulse()
    {
        vm.SetIrqLine(Gsi, true);
        vm.SetIrqLine(Gsi, false);
    }
}
