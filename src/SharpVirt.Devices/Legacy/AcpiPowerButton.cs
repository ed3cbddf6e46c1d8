namespace SharpVirt.Devices.Legacy;

/// <summary>
/// The ACPI power button of a hardware-reduced platform: a press is an edge on the generic event device's interrupt,
/// whose <c>_EVT</c> method (in the DSDT) notifies the button device; the guest's ACPI button driver reports it as
/// KEY_POWER, and what happens next is the guest's choice.
/// </summary>
public sealed class AcpiPowerButton
{
    private readonly IInterruptTrigger _line;
    private long _presses;

    /// <summary>Creates the button.</summary>
    /// <param name="line">The generic event device's interrupt (edge-triggered).</param>
    public AcpiPowerButton(IInterruptTrigger line)
    {
        ArgumentNullException.ThrowIfNull(line);
        _line = line;
    }

    /// <summary>Times the button was pressed.</summary>
    public long Presses => Interlocked.Read(ref _presses);

    /// <summary>Presses and releases the button.</summary>
    public void Press()
    {
        Interlocked.Increment(ref _presses);
        _line.Pulse();
    }
}
