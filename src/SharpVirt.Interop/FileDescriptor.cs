using System.Runtime.InteropServices;

namespace SharpVirt.Interop;

/// <summary>An owned Linux file descriptor, closed exactly once.</summary>
public sealed class FileDescriptor : SafeHandle
{
    /// <summary>Creates an invalid descriptor, filled in by the marshaller.</summary>
    public FileDescriptor() : base(-1, ownsHandle: true) { }

    /// <summary>Wraps a descriptor returned by a system call.</summary>
    public FileDescriptor(int fd, bool ownsHandle = true) : base(-1, ownsHandle) => SetHandle(fd);

    /// <inheritdoc />
    public override bool IsInvalid => handle.ToInt64() < 0;

    /// <summary>The raw descriptor number, for logs and for building kernel structs that carry fds.</summary>
    public int Number => (int)handle.ToInt64();

    /// <inheritdoc />
    protected override bool ReleaseHandle() => LibC.close((int)handle.ToInt64()) == 0;
}
