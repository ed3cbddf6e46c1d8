using System.Runtime.InteropServices;
using SharpVirt.Interop.Kvm;
using SharpVirt.Interop.Kvm.Abi;

namespace SharpVirt.IntegrationTests;

/// <summary>
/// The KVM state a snapshot carries, read from one VM and written into a fresh one, reads back the same: vCPU
/// registers, FPU/XSAVE, LAPIC, events, MP state, XCRs, debug registers and every MSR KVM lists; the PICs, the IOAPIC,
/// the PIT and the clock.
/// </summary>
public sealed class KvmStateTests
{
    [KvmFact]
    public void Every_piece_of_vm_and_vcpu_state_survives_a_round_trip_into_a_new_vm()
    {
        using var kvm = KvmSystem.Open();
        var msrIndices = kvm.GetMsrIndexList();
        Assert.True(msrIndices.Length > 10, $"KVM lists only {msrIndices.Length} MSRs");

        using var source = NewVm(kvm, out var sourceVcpu);
        using (sourceVcpu)
        {
            var regs = sourceVcpu.GetRegs();
            regs.rip = 0x1234_5678;
            regs.rax = 0xdead_beef;
            regs.rflags = 0x202;
            sourceVcpu.SetRegs(regs);
            var debug = sourceVcpu.GetDebugregs();
            debug.dr7 = 0x400 | 0x1; // DR0 enabled
            unsafe
            {
                debug.db[0] = 0x7000;
            }

            sourceVcpu.SetDebugregs(debug);
            source.SetIrqLine(4, true); // something in the IOAPIC and PIC state that a fresh VM lacks
            source.SetIrqLine(4, false);

            var saved = (Regs: sourceVcpu.GetRegs(), Sregs: sourceVcpu.GetSregs(), Xsave: sourceVcpu.GetXsave(),
                Lapic: sourceVcpu.GetLapic(), Events: sourceVcpu.GetVcpuEvents(), Mp: sourceVcpu.GetMpState(),
                Xcrs: sourceVcpu.GetXcrs(), Debug: sourceVcpu.GetDebugregs(), Msrs: sourceVcpu.GetMsrs(msrIndices),
                Pic0: source.GetIrqchip(0), Pic1: source.GetIrqchip(1), Ioapic: source.GetIrqchip(2),
                Pit: source.GetPit2(), Clock: source.GetClock());

            using var target = NewVm(kvm, out var targetVcpu);
            using (targetVcpu)
            {
                targetVcpu.SetSregs(saved.Sregs);
                targetVcpu.SetRegs(saved.Regs);
                targetVcpu.SetXsave(saved.Xsave);
                targetVcpu.SetXcrs(saved.Xcrs);
                targetVcpu.SetMsrs(saved.Msrs);
                targetVcpu.SetLapic(saved.Lapic);
                targetVcpu.SetVcpuEvents(saved.Events);
                targetVcpu.SetMpState(saved.Mp);
                targetVcpu.SetDebugregs(saved.Debug);
                target.SetIrqchip(saved.Pic0);
                target.SetIrqchip(saved.Pic1);
                target.SetIrqchip(saved.Ioapic);
                target.SetPit2(saved.Pit);
                target.SetClock(saved.Clock.clock);

                Assert.Equal(0x1234_5678UL, targetVcpu.GetRegs().rip);
                Assert.Equal(Bytes(saved.Regs), Bytes(targetVcpu.GetRegs()));
                Assert.Equal(Bytes(saved.Sregs), Bytes(targetVcpu.GetSregs()));
                Assert.Equal(Bytes(saved.Lapic), Bytes(targetVcpu.GetLapic()));
                Assert.Equal(Bytes(saved.Debug), Bytes(targetVcpu.GetDebugregs()));
                Assert.Equal(saved.Mp.mp_state, targetVcpu.GetMpState().mp_state);
                Assert.Equal(Bytes(saved.Ioapic), Bytes(target.GetIrqchip(2)));
                Assert.Equal(Bytes(saved.Pic0), Bytes(target.GetIrqchip(0)));
                var msrs = targetVcpu.GetMsrs(msrIndices);
                // The TSC runs on between the reads; every other MSR must read back as it was written.
                const uint Tsc = 0x10;
                Assert.Equal(saved.Msrs.Where(m => m.index != Tsc).Select(m => (m.index, m.data)),
                    msrs.Where(m => m.index != Tsc).Select(m => (m.index, m.data)));
                var clock = target.GetClock().clock;
                Assert.InRange(clock, saved.Clock.clock, saved.Clock.clock + 5_000_000_000UL);
            }
        }
    }

    private static VmFd NewVm(KvmSystem kvm, out VcpuFd vcpu)
    {
        var vm = kvm.CreateVm();
        vm.SetTssAddress(0xfffb_d000);
        vm.CreateIrqchip();
        vm.CreatePit2();
        vcpu = vm.CreateVcpu(0);
        vcpu.SetCpuid(kvm.GetSupportedCpuid());
        return vm;
    }

    private static byte[] Bytes<T>(T value)
        where T : unmanaged => MemoryMarshal.AsBytes(new ReadOnlySpan<T>(ref value)).ToArray();
}
