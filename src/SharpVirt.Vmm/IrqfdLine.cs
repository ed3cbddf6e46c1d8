using SharpVirt.Devices;
using SharpVirt.Interop.Events;
using SharpVirt.Interop.Kvm;

namespace SharpVirt.Vmm;

/// <summary>
/// An edge-triggered GSI driven through KVM_IRQFD: a pulse is one eventfd write, and KVM raises and lowers the line
/// itself, so a device thread interrupts the guest without an ioctl. Only edges: a level needs the resample fd.
/// </summary>
public sealed class IrqfdLine : IInterruptTrigger, IDisposable
{
    private readonly EventFd _event = new();

    /// <summary>Registers the eventfd with <paramref name="vm"/> for <paramref name="gsi"/>.</summary>
    public IrqfdLine(VmFd vm, uint gsi)
    {
        ArgumentNullException.ThrowIfNull(vm);
        Gsi = gsi;
        try
        {
            vm.RegisterIrqfd(_event.Handle, gsi);
        }
        catch
        {
            _event.Dispose();
            throw;
        }
    }

    /// <summary>The global system interrupt number.</summary>
    public uint Gsi { get; }

    /// <summary>Not supported: an irqfd without a resample fd only sends edges.</summary>
    public void SetLevel(bool asserted) => throw new NotSupportedException($"GSI {Gsi} is an edge-triggered irqfd line");

    /// <inheritdoc />
    public void Pulse() => _event.Signal();

    /// <summary>Closes the eventfd (KVM drops the irqfd with it).</summary>
    public void Dispose() => _event.Dispose();
}
