using System.Runtime.InteropServices;

namespace SharpVirt.Interop;

/// <summary>errno values the VMM reacts to, and the one place results are checked.</summary>
public static class Errno
{
    /// <summary>Operation not permitted.</summary>
    public const int EPERM = 1;
    /// <summary>No such file or directory.</summary>
    public const int ENOENT = 2;
    /// <summary>Interrupted system call.</summary>
    public const int EINTR = 4;
    /// <summary>Input/output error.</summary>
    public const int EIO = 5;
    /// <summary>Resource temporarily unavailable.</summary>
    public const int EAGAIN = 11;
    /// <summary>Cannot allocate memory.</summary>
    public const int ENOMEM = 12;
    /// <summary>Permission denied.</summary>
    public const int EACCES = 13;
    /// <summary>Bad address.</summary>
    public const int EFAULT = 14;
    /// <summary>Device or resource busy.</summary>
    public const int EBUSY = 16;
    /// <summary>File exists.</summary>
    public const int EEXIST = 17;
    /// <summary>No such device.</summary>
    public const int ENODEV = 19;
    /// <summary>Invalid argument.</summary>
    public const int EINVAL = 22;
    /// <summary>Argument list too long (KVM: too many CPUID entries).</summary>
    public const int E2BIG = 7;
    /// <summary>Inappropriate ioctl for device.</summary>
    public const int ENOTTY = 25;
    /// <summary>Function not implemented.</summary>
    public const int ENOSYS = 38;
    /// <summary>Operation not supported.</summary>
    public const int EOPNOTSUPP = 95;

    /// <summary>The errno of the last P/Invoke on this thread.</summary>
    public static int Last => Marshal.GetLastPInvokeError();

    /// <summary>Returns <paramref name="result"/> or throws a <see cref="SystemCallException"/> carrying errno.</summary>
    public static int Check(int result, string operation) =>
        result >= 0 ? result : throw new SystemCallException(operation, Last);

    /// <summary>Returns <paramref name="result"/> or throws a <see cref="SystemCallException"/> carrying errno.</summary>
    public static long Check(long result, string operation) =>
        result >= 0 ? result : throw new SystemCallException(operation, Last);

    /// <summary>Returns <paramref name="result"/> or throws a <see cref="KvmException"/> carrying errno.</summary>
    public static int CheckKvm(int result, string operation) =>
        result >= 0 ? result : throw new KvmException(operation, Last);

    /// <summary>A readable "EINVAL (Invalid argument)" text for an errno.</summary>
    public static string Describe(int errno) => $"{Name(errno)} ({Marshal.GetPInvokeErrorMessage(errno)})";

    /// <summary>The symbolic name of common errno values.</summary>
    public static string Name(int errno) => errno switch
    {
        EPERM => "EPERM", ENOENT => "ENOENT", EINTR => "EINTR", EIO => "EIO", E2BIG => "E2BIG",
        EAGAIN => "EAGAIN", ENOMEM => "ENOMEM", EACCES => "EACCES", EFAULT => "EFAULT", EBUSY => "EBUSY",
        EEXIST => "EEXIST", ENODEV => "ENODEV", EINVAL => "EINVAL", ENOTTY => "ENOTTY", ENOSYS => "ENOSYS",
        EOPNOTSUPP => "EOPNOTSUPP", _ => $"errno {errno}",
    };
}
