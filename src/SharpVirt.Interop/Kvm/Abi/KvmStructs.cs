using System.Runtime.InteropServices;

// Layouts mirror <linux/kvm.h> and <asm/kvm.h> for x86_64. Field names follow the kernel's so that the
// ABI test (tests/SharpVirt.Interop.Tests/AbiLayoutTests) can compare each offset with offsetof() in C.
#pragma warning disable CS1591 // The kernel's own names and comments document these fields.
namespace SharpVirt.Interop.Kvm.Abi;

[StructLayout(LayoutKind.Sequential)]
public struct kvm_userspace_memory_region
{
    public uint slot;
    public uint flags;
    public ulong guest_phys_addr;
    public ulong memory_size;
    public ulong userspace_addr;
}

[StructLayout(LayoutKind.Sequential)]
public struct kvm_regs
{
    public ulong rax, rbx, rcx, rdx;
    public ulong rsi, rdi, rsp, rbp;
    public ulong r8, r9, r10, r11;
    public ulong r12, r13, r14, r15;
    public ulong rip, rflags;
}

[StructLayout(LayoutKind.Sequential)]
public struct kvm_segment
{
    public ulong @base;
    public uint limit;
    public ushort selector;
    public byte type;
    public byte present, dpl, db, s, l, g, avl;
    public byte unusable;
    public byte padding;
}

[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_dtable
{
    public ulong @base;
    public ushort limit;
    public fixed ushort padding[3];
}

[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_sregs
{
    public kvm_segment cs, ds, es, fs, gs, ss;
    public kvm_segment tr, ldt;
    public kvm_dtable gdt, idt;
    public ulong cr0, cr2, cr3, cr4, cr8;
    public ulong efer;
    public ulong apic_base;
    public fixed ulong interrupt_bitmap[4];
}

[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_fpu
{
    public fixed byte fpr[128];
    public ushort fcw;
    public ushort fsw;
    public byte ftwx;
    public byte pad1;
    public ushort last_opcode;
    public ulong last_ip;
    public ulong last_dp;
    public fixed byte xmm[256];
    public uint mxcsr;
    public uint pad2;
}

[StructLayout(LayoutKind.Sequential)]
public struct kvm_msr_entry
{
    public uint index;
    public uint reserved;
    public ulong data;
}

/// <summary>Header of struct kvm_msrs; the entries follow it in the same buffer.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_msrs
{
    public uint nmsrs;
    public uint pad;
}

[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_cpuid_entry2
{
    public uint function;
    public uint index;
    public uint flags;
    public uint eax, ebx, ecx, edx;
    public fixed uint padding[3];
}

/// <summary>Header of struct kvm_cpuid2; the entries follow it in the same buffer.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_cpuid2
{
    public uint nent;
    public uint padding;
}

[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_lapic_state
{
    public fixed byte regs[1024];
}

/// <summary>The XSAVE image of a vCPU: the legacy FXSAVE area (512 bytes), the XSAVE header at 512, components after.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_xsave
{
    public fixed uint region[1024];
}

[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_pit_config
{
    public uint flags;
    public fixed uint pad[15];
}

[StructLayout(LayoutKind.Sequential)]
public struct kvm_irq_level
{
    public uint irq;
    public uint level;
}

[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_translation
{
    public ulong linear_address;
    public ulong physical_address;
    public byte valid;
    public byte writeable;
    public byte usermode;
    public fixed byte pad[5];
}

[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_vcpu_events
{
    public byte exception_injected;
    public byte exception_nr;
    public byte exception_has_error_code;
    public byte exception_pending;
    public uint exception_error_code;
    public byte interrupt_injected;
    public byte interrupt_nr;
    public byte interrupt_soft;
    public byte interrupt_shadow;
    public byte nmi_injected;
    public byte nmi_pending;
    public byte nmi_masked;
    public byte nmi_pad;
    public uint sipi_vector;
    public uint flags;
    public byte smi_smm;
    public byte smi_pending;
    public byte smi_smm_inside_nmi;
    public byte smi_latched_init;
    public byte triple_fault_pending;
    public fixed byte reserved[26];
    public byte exception_has_payload;
    public ulong exception_payload;
}

[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_irqfd
{
    public uint fd;
    public uint gsi;
    public uint flags;
    public uint resamplefd;
    public fixed byte pad[16];
}

[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_ioeventfd
{
    public ulong datamatch;
    public ulong addr;
    public uint len;
    public int fd;
    public uint flags;
    public fixed byte pad[36];
}

[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_mp_state
{
    public uint mp_state;
}

/// <summary>The fixed head of struct kvm_run; the exit union starts at <see cref="KvmRun.ExitUnionOffset"/>.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_run
{
    public byte request_interrupt_window;
    public byte immediate_exit;
    public byte padding1_0, padding1_1, padding1_2, padding1_3, padding1_4, padding1_5;
    public uint exit_reason;
    public byte ready_for_interrupt_injection;
    public byte if_flag;
    public ushort flags;
    public ulong cr8;
    public ulong apic_base;
}

/// <summary>kvm_run.io: a port I/O exit; the data sits at data_offset from the start of kvm_run.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_run_io
{
    public byte direction;
    public byte size;
    public ushort port;
    public uint count;
    public ulong data_offset;
}

/// <summary>kvm_run.mmio: a memory-mapped I/O exit.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_run_mmio
{
    public ulong phys_addr;
    public fixed byte data[8];
    public uint len;
    public byte is_write;
}

/// <summary>kvm_run.internal: an internal error, with up to 16 words of data.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_run_internal
{
    public uint suberror;
    public uint ndata;
    public fixed ulong data[16];
}

/// <summary>kvm_run.system_event: shutdown, reset, crash.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_run_system_event
{
    public uint type;
    public uint ndata;
    public fixed ulong data[16];
}

/// <summary>kvm_run.fail_entry.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_run_fail_entry
{
    public ulong hardware_entry_failure_reason;
    public uint cpu;
}

/// <summary>Offsets inside struct kvm_run.</summary>
public static class KvmRun
{
    /// <summary>Where the exit-reason union starts (x86_64).</summary>
    public const int ExitUnionOffset = 32;
}
