namespace SharpVirt.Vmm;

/// <summary>How a guest run ended.</summary>
public enum VmOutcomeKind
{
    /// <summary>The guest powered off (ACPI S5, or a KVM shutdown event).</summary>
    PowerOff,
    /// <summary>The guest asked for a reset (i8042, ACPI reset, triple fault).</summary>
    Reboot,
    /// <summary>The guest kernel panicked.</summary>
    Panic,
    /// <summary>The user asked the VMM to quit (console escape, signal).</summary>
    UserQuit,
    /// <summary>The guest moved to another VMM (a live migration completed).</summary>
    Migrated,
    /// <summary>The VMM had to stop the guest: an instruction it cannot complete, a KVM failure.</summary>
    Error,
}

/// <summary>The end of a guest run, with a message for the user.</summary>
public sealed record VmOutcome(VmOutcomeKind Kind, string Message)
{
    /// <summary>The process exit code for this outcome.</summary>
    public int ExitCode => Kind switch
    {
        VmOutcomeKind.PowerOff or VmOutcomeKind.Reboot or VmOutcomeKind.UserQuit or VmOutcomeKind.Migrated => 0,
        VmOutcomeKind.Panic => 3,
        _ => 2,
    };
}
