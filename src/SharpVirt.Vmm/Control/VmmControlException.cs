namespace SharpVirt.Vmm.Control;

/// <summary>Why the VMM refused a control command; the API maps each kind to one HTTP status.</summary>
public enum VmmControlErrorKind
{
    /// <summary>The input is wrong (400): <see cref="VmmControlException.Field"/> names it.</summary>
    BadRequest,
    /// <summary>The command does not fit the VM's state (409): configuring a running VM, pausing a stopped one.</summary>
    WrongState,
    /// <summary>The command names something the VM does not have (404): a drive id, a balloon.</summary>
    NotFound,
    /// <summary>The VMM tried and the host failed it (500): KVM, a file the kernel refused.</summary>
    Failed,
}

/// <summary>A refused control command: what kind of refusal, the field at fault if any, and the reason.</summary>
public sealed class VmmControlException(VmmControlErrorKind kind, string? field, string reason)
    : Exception(field is null ? reason : $"{field}: {reason}")
{
    /// <summary>What kind of refusal.</summary>
    public VmmControlErrorKind Kind { get; } = kind;

    /// <summary>The JSON field or path parameter at fault, if one is.</summary>
    public string? Field { get; } = field;

    /// <summary>Why.</summary>
    public string Reason { get; } = reason;

    /// <summary>A command that does not fit the current state.</summary>
    public static VmmControlException WrongState(string reason) => new(VmmControlErrorKind.WrongState, null, reason);
}
