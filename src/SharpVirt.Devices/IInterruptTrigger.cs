namespace SharpVirt.Devices;

/// <summary>
/// An interrupt line of a device. The VMM backs it with KVM (KVM_IRQ_LINE or an irqfd);
/// tests back it with a recorder. Devices never call KVM themselves.
/// </summary>
public interface IInterruptTrigger
{
    /// <summary>Raises (true) or lowers (false) a level-triggered line.</summary>
    void SetLevel(bool asserted);

    /// <summary>Sends one edge (raise then lower).</summary>
    void Pulse();
}
