using SharpVirt.Interop.Kvm.Abi;

namespace SharpVirt.Interop.Kvm;

/// <summary>The opened <c>/dev/kvm</c>: system-wide queries and VM creation.</summary>
public sealed unsafe class KvmSystem : IDisposable
{
    /// <summary>The device path.</summary>
    public const string DevicePath = "/dev/kvm";

    private readonly FileDescriptor _fd;

    private KvmSystem(FileDescriptor fd) => _fd = fd;

    /// <summary>Opens <c>/dev/kvm</c> and checks the API version.</summary>
    /// <exception cref="KvmUnavailableException">The device is missing, not permitted, or of another API version.</exception>
    public static KvmSystem Open(string path = DevicePath)
    {
        var fd = LibC.open(path, LibC.O_RDWR | LibC.O_CLOEXEC, 0);
        if (fd < 0)
        {
            var errno = Errno.Last;
            throw errno switch
            {
                Errno.ENOENT or Errno.ENODEV => new KvmUnavailableException(KvmUnavailableReason.Missing, path,
                    $"{path} does not exist: KVM is not available here (load the kvm module, or enable virtualization for this machine)"),
                Errno.EACCES or Errno.EPERM => new KvmUnavailableException(KvmUnavailableReason.NoPermission, path,
                    $"no permission to open {path}: run as root or add your user to the 'kvm' group (sudo usermod -aG kvm $USER, then log in again)"),
                _ => new KvmUnavailableException(KvmUnavailableReason.Other, path, $"cannot open {path}: {Errno.Describe(errno)}"),
            };
        }

        var kvm = new KvmSystem(new FileDescriptor(fd));
        var version = kvm.Ioctl(KvmIoctls.GetApiVersion, 0, "KVM_GET_API_VERSION");
        if (version != KvmConst.ApiVersion)
        {
            kvm.Dispose();
            throw new KvmUnavailableException(KvmUnavailableReason.Other, path,
                $"{path} speaks KVM API version {version}; SharpVirt needs version {KvmConst.ApiVersion}");
        }

        return kvm;
    }

    /// <summary>KVM_CHECK_EXTENSION: 0 when unsupported, else a capability-specific value.</summary>
    public int CheckExtension(KvmCap cap) => Ioctl(KvmIoctls.CheckExtension, (nuint)cap, "KVM_CHECK_EXTENSION");

    /// <summary>The size of the per-vCPU shared kvm_run mapping (12288 on this project's hosts, not sizeof(kvm_run)).</summary>
    public int VcpuMmapSize => Ioctl(KvmIoctls.GetVcpuMmapSize, 0, "KVM_GET_VCPU_MMAP_SIZE");

    /// <summary>The most vCPUs one VM may have.</summary>
    public int MaxVcpus
    {
        get
        {
            var max = CheckExtension(KvmCap.MaxVcpus);
            return max > 0 ? max : Math.Max(CheckExtension(KvmCap.NrVcpus), 4);
        }
    }

    /// <summary>KVM_GET_SUPPORTED_CPUID: the CPUID leaves KVM can present to a guest.</summary>
    public kvm_cpuid_entry2[] GetSupportedCpuid()
    {
        for (var capacity = 128; capacity <= 4096; capacity *= 2)
        {
            var buffer = new byte[sizeof(kvm_cpuid2) + capacity * sizeof(kvm_cpuid_entry2)];
            fixed (byte* p = buffer)
            {
                ((kvm_cpuid2*)p)->nent = (uint)capacity;
                if (LibC.ioctl(_fd, KvmIoctls.GetSupportedCpuid, p) < 0)
                {
                    if (Errno.Last == Errno.E2BIG)
                    {
                        continue;
                    }

                    throw new KvmException("KVM_GET_SUPPORTED_CPUID", Errno.Last);
                }

                var count = (int)((kvm_cpuid2*)p)->nent;
                return new ReadOnlySpan<kvm_cpuid_entry2>(p + sizeof(kvm_cpuid2), count).ToArray();
            }
        }

        throw new KvmException("KVM_GET_SUPPORTED_CPUID", Errno.E2BIG);
    }

    /// <summary>KVM_GET_MSR_INDEX_LIST: the MSRs a vCPU's saved state must carry.</summary>
    public uint[] GetMsrIndexList()
    {
        kvm_msr_list probe = default;
        // The first call, with room for none, fails with E2BIG and says how many there are.
        LibC.ioctl(_fd, KvmIoctls.GetMsrIndexList, &probe);
        var buffer = new uint[probe.nmsrs + 1];
        fixed (uint* p = buffer)
        {
            ((kvm_msr_list*)p)->nmsrs = probe.nmsrs;
            Errno.CheckKvm(LibC.ioctl(_fd, KvmIoctls.GetMsrIndexList, p), "KVM_GET_MSR_INDEX_LIST");
            return buffer.AsSpan(1, (int)((kvm_msr_list*)p)->nmsrs).ToArray();
        }
    }

    /// <summary>KVM_CREATE_VM: a new, empty virtual machine.</summary>
    public VmFd CreateVm()
    {
        var fd = Ioctl(KvmIoctls.CreateVm, 0, "KVM_CREATE_VM");
        return new VmFd(new FileDescriptor(fd), VcpuMmapSize);
    }

    private int Ioctl(nuint request, nuint arg, string name) => Errno.CheckKvm(LibC.ioctl(_fd, request, arg), name);

    /// <inheritdoc />
    public void Dispose() => _fd.Dispose();
}

/// <summary>Why KVM could not be used.</summary>
public enum KvmUnavailableReason
{
    /// <summary>No such device.</summary>
    Missing,
    /// <summary>The device exists but this user may not open it.</summary>
    NoPermission,
    /// <summary>Anything else.</summary>
    Other,
}

/// <summary>KVM cannot be used on this host; the message says what to do.</summary>
public sealed class KvmUnavailableException(KvmUnavailableReason reason, string path, string message) : Exception(message)
{
    /// <summary>Why.</summary>
    public KvmUnavailableReason Reason { get; } = reason;

    /// <summary>The device path tried.</summary>
    public string Path { get; } = path;
}
