namespace SharpVirt.Boot;

/// <summary>What is wrong with a kernel, initrd or boot layout.</summary>
public enum BootErrorKind
{
    /// <summary>The file is neither a bzImage nor an x86_64 ELF kernel.</summary>
    NotAKernel,
    /// <summary>A bzImage whose boot protocol is too old or lacks the 64-bit entry.</summary>
    UnsupportedProtocol,
    /// <summary>The kernel, initrd or command line does not fit in guest memory.</summary>
    DoesNotFit,
    /// <summary>The kernel image is malformed (headers point outside the file).</summary>
    Malformed,
}

/// <summary>A kernel or initrd that cannot be booted; the message says which file and why.</summary>
public sealed class BootException(BootErrorKind kind, string message) : Exception(message)
{
    /// <summary>What is wrong.</summary>
    public BootErrorKind Kind { get; } = kind;
}
