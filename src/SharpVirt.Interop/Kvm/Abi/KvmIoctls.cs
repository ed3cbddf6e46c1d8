using System.Runtime.CompilerServices;

namespace SharpVirt.Interop.Kvm.Abi;

/// <summary>KVM ioctl request numbers, encoded as the kernel's _IO/_IOR/_IOW/_IOWR macros do.</summary>
public static class KvmIoctls
{
    private const uint Kvmio = 0xAE;
    private const uint None = 0, Write = 1, Read = 2;

    private static nuint Io(uint nr) => Encode(None, nr, 0);
    private static nuint Iow<T>(uint nr) where T : unmanaged => Encode(Write, nr, (uint)Unsafe.SizeOf<T>());
    private static nuint Ior<T>(uint nr) where T : unmanaged => Encode(Read, nr, (uint)Unsafe.SizeOf<T>());
    private static nuint Iowr<T>(uint nr) where T : unmanaged => Encode(Read | Write, nr, (uint)Unsafe.SizeOf<T>());

    /// <summary>_IOC(dir, type, nr, size) for x86.</summary>
    public static nuint Encode(uint dir, uint nr, uint size) => (nuint)((dir << 30) | (size << 16) | (Kvmio << 8) | nr);

    /// <summary>KVM_GET_API_VERSION.</summary>
    public static readonly nuint GetApiVersion = Io(0x00);
    /// <summary>KVM_CREATE_VM.</summary>
    public static readonly nuint CreateVm = Io(0x01);
    /// <summary>KVM_CHECK_EXTENSION.</summary>
    public static readonly nuint CheckExtension = Io(0x03);
    /// <summary>KVM_GET_VCPU_MMAP_SIZE.</summary>
    public static readonly nuint GetVcpuMmapSize = Io(0x04);
    /// <summary>KVM_GET_SUPPORTED_CPUID.</summary>
    public static readonly nuint GetSupportedCpuid = Iowr<kvm_cpuid2>(0x05);
    /// <summary>KVM_CREATE_VCPU.</summary>
    public static readonly nuint CreateVcpu = Io(0x41);
    /// <summary>KVM_SET_USER_MEMORY_REGION.</summary>
    public static readonly nuint SetUserMemoryRegion = Iow<kvm_userspace_memory_region>(0x46);
    /// <summary>KVM_GET_DIRTY_LOG.</summary>
    public static readonly nuint GetDirtyLog = Iow<kvm_dirty_log>(0x42);
    /// <summary>KVM_SET_TSS_ADDR.</summary>
    public static readonly nuint SetTssAddr = Io(0x47);
    /// <summary>KVM_SET_IDENTITY_MAP_ADDR.</summary>
    public static readonly nuint SetIdentityMapAddr = Iow<ulong>(0x48);
    /// <summary>KVM_CREATE_IRQCHIP.</summary>
    public static readonly nuint CreateIrqchip = Io(0x60);
    /// <summary>KVM_IRQ_LINE.</summary>
    public static readonly nuint IrqLine = Iow<kvm_irq_level>(0x61);
    /// <summary>KVM_IRQFD.</summary>
    public static readonly nuint Irqfd = Iow<kvm_irqfd>(0x76);
    /// <summary>KVM_CREATE_PIT2.</summary>
    public static readonly nuint CreatePit2 = Iow<kvm_pit_config>(0x77);
    /// <summary>KVM_IOEVENTFD.</summary>
    public static readonly nuint Ioeventfd = Iow<kvm_ioeventfd>(0x79);
    /// <summary>KVM_KVMCLOCK_CTRL.</summary>
    public static readonly nuint KvmclockCtrl = Io(0xad);
    /// <summary>KVM_RUN.</summary>
    public static readonly nuint Run = Io(0x80);
    /// <summary>KVM_GET_REGS.</summary>
    public static readonly nuint GetRegs = Ior<kvm_regs>(0x81);
    /// <summary>KVM_SET_REGS.</summary>
    public static readonly nuint SetRegs = Iow<kvm_regs>(0x82);
    /// <summary>KVM_GET_SREGS.</summary>
    public static readonly nuint GetSregs = Ior<kvm_sregs>(0x83);
    /// <summary>KVM_SET_SREGS.</summary>
    public static readonly nuint SetSregs = Iow<kvm_sregs>(0x84);
    /// <summary>KVM_TRANSLATE.</summary>
    public static readonly nuint Translate = Iowr<kvm_translation>(0x85);
    /// <summary>KVM_GET_MSRS.</summary>
    public static readonly nuint GetMsrs = Iowr<kvm_msrs>(0x88);
    /// <summary>KVM_SET_MSRS.</summary>
    public static readonly nuint SetMsrs = Iow<kvm_msrs>(0x89);
    /// <summary>KVM_GET_FPU.</summary>
    public static readonly nuint GetFpu = Ior<kvm_fpu>(0x8c);
    /// <summary>KVM_SET_FPU.</summary>
    public static readonly nuint SetFpu = Iow<kvm_fpu>(0x8d);
    /// <summary>KVM_GET_LAPIC.</summary>
    public static readonly nuint GetLapic = Ior<kvm_lapic_state>(0x8e);
    /// <summary>KVM_SET_LAPIC.</summary>
    public static readonly nuint SetLapic = Iow<kvm_lapic_state>(0x8f);
    /// <summary>KVM_SET_CPUID2.</summary>
    public static readonly nuint SetCpuid2 = Iow<kvm_cpuid2>(0x90);
    /// <summary>KVM_GET_MP_STATE.</summary>
    public static readonly nuint GetMpState = Ior<kvm_mp_state>(0x98);
    /// <summary>KVM_GET_VCPU_EVENTS.</summary>
    public static readonly nuint GetVcpuEvents = Ior<kvm_vcpu_events>(0x9f);
    /// <summary>KVM_GET_XSAVE.</summary>
    public static readonly nuint GetXsave = Ior<kvm_xsave>(0xa4);
    /// <summary>KVM_SET_XSAVE.</summary>
    public static readonly nuint SetXsave = Iow<kvm_xsave>(0xa5);
    /// <summary>KVM_SET_VCPU_EVENTS.</summary>
    public static readonly nuint SetVcpuEvents = Iow<kvm_vcpu_events>(0xa0);

    /// <summary>KVM_GET_MSR_INDEX_LIST (system): the MSRs KVM saves and restores for a vCPU.</summary>
    public static readonly nuint GetMsrIndexList = Iowr<kvm_msr_list>(0x02);

    /// <summary>KVM_SET_MP_STATE.</summary>
    public static readonly nuint SetMpState = Iow<kvm_mp_state>(0x99);

    /// <summary>KVM_GET_XCRS.</summary>
    public static readonly nuint GetXcrs = Ior<kvm_xcrs>(0xa6);

    /// <summary>KVM_SET_XCRS.</summary>
    public static readonly nuint SetXcrs = Iow<kvm_xcrs>(0xa7);

    /// <summary>KVM_GET_DEBUGREGS.</summary>
    public static readonly nuint GetDebugregs = Ior<kvm_debugregs>(0xa1);

    /// <summary>KVM_SET_DEBUGREGS.</summary>
    public static readonly nuint SetDebugregs = Iow<kvm_debugregs>(0xa2);

    /// <summary>KVM_GET_IRQCHIP (VM).</summary>
    public static readonly nuint GetIrqchip = Iowr<kvm_irqchip>(0x62);

    /// <summary>KVM_SET_IRQCHIP (VM; the kernel declares it _IOR).</summary>
    public static readonly nuint SetIrqchip = Ior<kvm_irqchip>(0x63);

    /// <summary>KVM_GET_CLOCK (VM).</summary>
    public static readonly nuint GetClock = Ior<kvm_clock_data>(0x7c);

    /// <summary>KVM_SET_CLOCK (VM).</summary>
    public static readonly nuint SetClock = Iow<kvm_clock_data>(0x7b);

    /// <summary>KVM_GET_PIT2 (VM; shares its number with KVM_GET_VCPU_EVENTS, told apart by size).</summary>
    public static readonly nuint GetPit2 = Ior<kvm_pit_state2>(0x9f);

    /// <summary>KVM_SET_PIT2 (VM).</summary>
    public static readonly nuint SetPit2 = Iow<kvm_pit_state2>(0xa0);
}
