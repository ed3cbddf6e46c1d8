using System.Runtime.InteropServices;

namespace SharpVirt.Interop.Kvm.Abi;

// The kernel structs that carry a VM's saved state (snapshots, migration), laid out as in <linux/kvm.h> and checked
// field by field against it by the ABI test.
#pragma warning disable CS1591 // The kernel's own names and comments document these fields.

/// <summary>Extended control registers (XCR0): up to 16 (xcr, reserved, value) triples.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_xcrs
{
    public uint nr_xcrs;
    public uint flags;
    /// <summary>16 struct kvm_xcr { u32 xcr; u32 reserved; u64 value; } as 32 u64s: xcr in the low half of the even one.</summary>
    public fixed ulong xcrs[32];
    public fixed ulong padding[16];
}

/// <summary>The debug registers DR0-3, DR6, DR7.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_debugregs
{
    public fixed ulong db[4];
    public ulong dr6;
    public ulong dr7;
    public ulong flags;
    public fixed ulong reserved[9];
}

/// <summary>The VM's kvmclock: the guest's clock in ns, and with KVM_CLOCK_REALTIME/HOST_TSC the host's at that moment.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_clock_data
{
    public ulong clock;
    public uint flags;
    public uint pad0;
    public ulong realtime;
    public ulong host_tsc;
    public fixed uint pad[4];
}

/// <summary>
/// KVM_GET_DIRTY_LOG's argument: the slot, and where the kernel writes its bitmap (one bit per page, set for each page
/// written since the last call, which clears them).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_dirty_log
{
    public uint slot;
    public uint padding1;
    public ulong dirty_bitmap;
}

/// <summary>One in-kernel interrupt controller's state: chip_id 0 and 1 are the PICs, 2 the IOAPIC (union of 512 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_irqchip
{
    public uint chip_id;
    public uint pad;
    public fixed byte chip[512];
}

/// <summary>The in-kernel i8254 PIT's three channels (24 bytes each) and flags.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_pit_state2
{
    public fixed byte channels[72];
    public uint flags;
    public fixed uint reserved[9];
}

/// <summary>Header of struct kvm_msr_list; the MSR indices follow it in the same buffer.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_msr_list
{
    public uint nmsrs;
}
