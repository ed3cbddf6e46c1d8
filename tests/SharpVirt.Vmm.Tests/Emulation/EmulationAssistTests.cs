using SharpVirt.Interop.Kvm.Abi;
using SharpVirt.Vmm.Emulation;

namespace SharpVirt.Vmm.Tests.Emulation;

public sealed class EmulationAssistTests
{
    // Each register holds 0x1000 * (its encoding number + 1), so a wrong mapping shows as a wrong value.
    private static kvm_regs Regs() => new()
    {
        rax = 0x1000, rcx = 0x2000, rdx = 0x3000, rbx = 0x4000, rsp = 0x5000, rbp = 0x6000, rsi = 0x7000, rdi = 0x8000,
        r8 = 0x9000, r9 = 0xa000, r10 = 0xb000, r11 = 0xc000, r12 = 0xd000, r13 = 0xe000, r14 = 0xf000, r15 = 0x10000,
        rip = 0xffff_ffff_8100_0000, rflags = 0x2,
    };

    private static kvm_sregs Sregs()
    {
        var s = new kvm_sregs();
        s.fs.@base = 0x7f00_0000_0000;
        s.gs.@base = 0xffff_8880_0000_0000;
        s.ds.@base = 0x1234; // ignored in 64-bit mode
        return s;
    }

    [Fact]
    public void Register_numbers_follow_the_x86_encoding()
    {
        var regs = Regs();
        for (var n = 0; n < 16; n++)
        {
            Assert.Equal(0x1000UL * (ulong)(n + 1), EmulationAssist.Register(regs, n));
        }
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(16)]
    public void Register_numbers_outside_0_to_15_throw(int number)
    {
        var regs = Regs();
        Assert.Throws<ArgumentOutOfRangeException>(() => EmulationAssist.Register(regs, number));
    }

    [Fact]
    public void Base_plus_displacement()
    {
        var op = new MemoryOperand(7, null, 1, 0x10, false, SegmentOverride.None);
        Assert.Equal(0x8010UL, EmulationAssist.EffectiveAddress(op, Regs(), Sregs(), 5));
    }

    [Fact]
    public void Base_plus_scaled_index_plus_negative_displacement()
    {
        var op = new MemoryOperand(0, 9, 8, -0x10, false, SegmentOverride.None); // [rax + r9*8 - 0x10]
        Assert.Equal(0x1000UL + 0xa000UL * 8 - 0x10, EmulationAssist.EffectiveAddress(op, Regs(), Sregs(), 6));
    }

    [Fact]
    public void RIP_relative_counts_from_the_end_of_the_instruction()
    {
        var op = new MemoryOperand(null, null, 1, 0x100, true, SegmentOverride.None);
        Assert.Equal(0xffff_ffff_8100_0000UL + 9 + 0x100, EmulationAssist.EffectiveAddress(op, Regs(), Sregs(), 9));
    }

    [Fact]
    public void An_absolute_displacement_with_no_registers()
    {
        var op = new MemoryOperand(null, null, 1, 0x1000, false, SegmentOverride.None);
        Assert.Equal(0x1000UL, EmulationAssist.EffectiveAddress(op, Regs(), Sregs(), 9));
    }

    [Theory]
    [InlineData(SegmentOverride.Fs, 0x7f00_0000_0000UL)]
    [InlineData(SegmentOverride.Gs, 0xffff_8880_0000_0000UL)]
    [InlineData(SegmentOverride.None, 0UL)]
    public void Only_FS_and_GS_add_a_segment_base(SegmentOverride segment, ulong segmentBase)
    {
        var op = new MemoryOperand(7, null, 1, 8, false, segment);
        Assert.Equal(segmentBase + 0x8008, EmulationAssist.EffectiveAddress(op, Regs(), Sregs(), 6));
    }

    [Fact]
    public void Address_arithmetic_wraps_at_64_bits()
    {
        var regs = Regs();
        regs.rdi = ulong.MaxValue;
        var op = new MemoryOperand(7, null, 1, 0x11, false, SegmentOverride.None);
        Assert.Equal(0x10UL, EmulationAssist.EffectiveAddress(op, regs, Sregs(), 5));
    }

    [Fact]
    public void A_decoded_gs_cmpxchg16b_with_SIB_resolves_to_the_per_cpu_address()
    {
        // lock cmpxchg16b gs:[rdi + rcx*4 + 8]
        var instruction = X86Decoder.Decode([0x65, 0xf0, 0x48, 0x0f, 0xc7, 0x4c, 0x8f, 0x08]);

        var address = EmulationAssist.EffectiveAddress(instruction.Operand!, Regs(), Sregs(), instruction.Length);

        Assert.Equal(0xffff_8880_0000_0000UL + 0x8000 + 0x2000 * 4 + 8, address);
    }
}
