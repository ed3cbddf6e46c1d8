namespace SharpVirt.Memory;

/// <summary>What went wrong with a guest memory access.</summary>
public enum GuestMemoryErrorKind
{
    /// <summary>The range is not inside one region of guest RAM.</summary>
    OutOfRange,
    /// <summary>Address plus length overflows 64 bits.</summary>
    Overflow,
    /// <summary>The host refused to map the memory.</summary>
    MapFailed,
    /// <summary>The region layout is invalid (overlap, misalignment, empty).</summary>
    InvalidLayout,
}

/// <summary>A guest memory access or layout error. The message names the address and length.</summary>
public sealed class GuestMemoryException(GuestMemoryErrorKind kind, string message) : Exception(message)
{
    /// <summary>What went wrong.</summary>
    public GuestMemoryErrorKind Kind { get; } = kind;
}
