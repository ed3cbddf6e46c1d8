namespace SharpVirt.Interop.Kvm;

/// <summary>The two shapes of KVM ioctl that read or write one fixed-size struct, for <see cref="VcpuFd"/> and <see cref="VmFd"/>.</summary>
internal static unsafe class KvmStructIoctl
{
    /// <summary>An ioctl that fills a <typeparamref name="T"/>, starting from <paramref name="value"/> (KVM_GET_IRQCHIP reads its chip_id).</summary>
    public static T Get<T>(FileDescriptor fd, nuint request, string name, T value = default)
        where T : unmanaged
    {
        Errno.CheckKvm(LibC.ioctl(fd, request, &value), name);
        return value;
    }

    /// <summary>An ioctl that takes a <typeparamref name="T"/>.</summary>
    public static void Set<T>(FileDescriptor fd, nuint request, in T value, string name)
        where T : unmanaged
    {
        fixed (T* p = &value)
        {
            Errno.CheckKvm(LibC.ioctl(fd, request, p), name);
        }
    }
}
