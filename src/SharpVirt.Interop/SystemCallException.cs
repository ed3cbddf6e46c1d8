namespace SharpVirt.Interop;

/// <summary>A failed system call: carries the operation name and the errno it returned.</summary>
public class SystemCallException : Exception
{
    /// <summary>Creates the exception for <paramref name="operation"/> failing with <paramref name="errno"/>.</summary>
    public SystemCallException(string operation, int errno)
        : base($"{operation} failed: {Interop.Errno.Describe(errno)}")
    {
        Operation = operation;
        Errno = errno;
    }

    /// <summary>Creates the exception with a message of the caller's.</summary>
    public SystemCallException(string operation, int errno, string message) : base(message)
    {
        Operation = operation;
        Errno = errno;
    }

    /// <summary>The call that failed, for example <c>KVM_CREATE_VCPU</c>.</summary>
    public string Operation { get; }

    /// <summary>The errno value.</summary>
    public int Errno { get; }
}

/// <summary>A KVM ioctl that failed.</summary>
public sealed class KvmException(string operation, int errno) : SystemCallException(operation, errno);
