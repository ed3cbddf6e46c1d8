using System.Buffers.Binary;
using SharpVirt.Boot;
using SharpVirt.Interop.Kvm;
using SharpVirt.Interop.Kvm.Abi;

namespace SharpVirt.Vmm.Cpu;

/// <summary>Initial architectural state of a vCPU: MSRs, FPU, LAPIC for all; long-mode registers for the boot CPU.</summary>
public static class VcpuSetup
{
    private const uint MsrIa32Tsc = 0x10;
    private const uint MsrIa32SysenterCs = 0x174, MsrIa32SysenterEsp = 0x175, MsrIa32SysenterEip = 0x176;
    private const uint MsrIa32MiscEnable = 0x1a0;
    private const uint MsrMtrrDefType = 0x2ff;
    private const uint MsrStar = 0xc000_0081, MsrLstar = 0xc000_0082, MsrCstar = 0xc000_0083, MsrSyscallMask = 0xc000_0084;
    private const uint MsrKernelGsBase = 0xc000_0102;
    private const ulong MiscEnableFastString = 1;
    private const ulong MtrrEnableWriteBack = (1 << 11) | 6;

    private const ulong Cr0Pe = 1, Cr0Et = 0x10, Cr0Pg = 0x8000_0000;
    private const ulong Cr4Pae = 0x20;
    private const ulong EferLme = 0x100, EferLma = 0x400;

    private const int ApicLvtLint0 = 0x350, ApicLvtLint1 = 0x360;
    private const uint ApicDeliveryExtInt = 7, ApicDeliveryNmi = 4;

    /// <summary>The MSR values every vCPU starts with (as Firecracker sets them).</summary>
    public static kvm_msr_entry[] BootMsrs() =>
    [
        new() { index = MsrIa32SysenterCs },
        new() { index = MsrIa32SysenterEsp },
        new() { index = MsrIa32SysenterEip },
        new() { index = MsrStar },
        new() { index = MsrCstar },
        new() { index = MsrKernelGsBase },
        new() { index = MsrSyscallMask },
        new() { index = MsrLstar },
        new() { index = MsrIa32Tsc },
        new() { index = MsrIa32MiscEnable, data = MiscEnableFastString },
        new() { index = MsrMtrrDefType, data = MtrrEnableWriteBack },
    ];

    /// <summary>Configures MSRs, FPU and the local APIC's LINT pins (ExtINT on LINT0, NMI on LINT1).</summary>
    public static void ConfigureCommon(VcpuFd vcpu)
    {
        vcpu.SetMsrs(BootMsrs());
        vcpu.SetFpu(new kvm_fpu { fcw = 0x37f, mxcsr = 0x1f80 });
        var lapic = vcpu.GetLapic();
        SetLvtDeliveryMode(ref lapic, ApicLvtLint0, ApicDeliveryExtInt);
        SetLvtDeliveryMode(ref lapic, ApicLvtLint1, ApicDeliveryNmi);
        vcpu.SetLapic(lapic);
    }

    /// <summary>Sets the delivery mode bits (10:8) of a LAPIC LVT register.</summary>
    public static unsafe void SetLvtDeliveryMode(ref kvm_lapic_state lapic, int offset, uint mode)
    {
        fixed (byte* regs = lapic.regs)
        {
            var span = new Span<byte>(regs + offset, 4);
            var value = BinaryPrimitives.ReadUInt32LittleEndian(span);
            BinaryPrimitives.WriteUInt32LittleEndian(span, (value & ~0x700u) | (mode << 8));
        }
    }

    /// <summary>Puts the boot vCPU in 64-bit mode at <paramref name="entry"/> with RSI = the zero page.</summary>
    public static void ConfigureBootCpu(VcpuFd vcpu, ulong entry)
    {
        var sregs = vcpu.GetSregs();
        var code = Segment(LongModeSetup.CodeSelector, LongModeSetup.GdtEntries[1]);
        var data = Segment(LongModeSetup.DataSelector, LongModeSetup.GdtEntries[2]);
        sregs.cs = code;
        sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
        sregs.tr = Segment(LongModeSetup.TssSelector, LongModeSetup.GdtEntries[3]);
        sregs.gdt.@base = X64Layout.GdtAddress;
        sregs.gdt.limit = (ushort)(LongModeSetup.GdtEntries.Length * 8 - 1);
        sregs.idt.@base = X64Layout.IdtAddress;
        sregs.idt.limit = 7;
        sregs.cr3 = X64Layout.Pml4Address;
        sregs.cr4 |= Cr4Pae;
        sregs.cr0 |= Cr0Pe | Cr0Et | Cr0Pg;
        sregs.efer |= EferLme | EferLma;
        vcpu.SetSregs(sregs);

        vcpu.SetRegs(new kvm_regs
        {
            rflags = 2,
            rip = entry,
            rsp = X64Layout.BootStackPointer,
            rbp = X64Layout.BootStackPointer,
            rsi = X64Layout.ZeroPageAddress,
        });
    }

    /// <summary>Unpacks a GDT descriptor into KVM's segment form.</summary>
    public static kvm_segment Segment(ushort selector, ulong descriptor) => new()
    {
        @base = ((descriptor >> 16) & 0xffffff) | (((descriptor >> 56) & 0xff) << 24),
        limit = (uint)ExpandedLimit(descriptor),
        selector = selector,
        type = (byte)((descriptor >> 40) & 0xf),
        s = (byte)((descriptor >> 44) & 1),
        dpl = (byte)((descriptor >> 45) & 3),
        present = (byte)((descriptor >> 47) & 1),
        avl = (byte)((descriptor >> 52) & 1),
        l = (byte)((descriptor >> 53) & 1),
        db = (byte)((descriptor >> 54) & 1),
        g = (byte)((descriptor >> 55) & 1),
        unusable = (byte)(((descriptor >> 47) & 1) == 0 ? 1 : 0),
    };

    private static ulong ExpandedLimit(ulong descriptor)
    {
        var limit = (descriptor & 0xffff) | (((descriptor >> 48) & 0xf) << 16);
        return ((descriptor >> 55) & 1) == 1 ? (limit << 12) | 0xfff : limit;
    }
}
