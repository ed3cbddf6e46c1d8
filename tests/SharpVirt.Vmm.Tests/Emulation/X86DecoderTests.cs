using CsCheck;
using SharpVirt.Vmm.Emulation;

namespace SharpVirt.Vmm.Tests.Emulation;

public sealed class X86DecoderTests
{
    private const int Rax = 0, Rcx = 1, Rsp = 4, Rbp = 5, Rsi = 6, Rdi = 7, R9 = 9, R12 = 12, R15 = 15;

    private static X86Instruction Decode(params byte[] code) => X86Decoder.Decode(code);

    private static MemoryOperand CmpXchg16b(int length, params byte[] code)
    {
        var instruction = X86Decoder.Decode(code);
        Assert.Equal(X86InstructionKind.CmpXchg16b, instruction.Kind);
        Assert.Equal(length, instruction.Length);
        return Assert.IsType<MemoryOperand>(instruction.Operand);
    }

    [Fact]
    public void Int3_is_one_byte()
    {
        var i = Decode(0xcc, 0x90, 0x90);
        Assert.Equal(X86InstructionKind.Int3, i.Kind);
        Assert.Equal(1, i.Length);
        Assert.Equal("int3", i.Mnemonic);
        Assert.Null(i.Operand);
    }

    [Fact]
    public void Fwait_is_one_byte_after_any_prefixes()
    {
        Assert.Equal(new X86Instruction(X86InstructionKind.Fwait, 1, "fwait"), Decode(0x9b, 0xdb, 0xe3));
        Assert.Equal(X86InstructionKind.Fwait, Decode(0x66, 0x9b).Kind);
        Assert.Equal(2, Decode(0x66, 0x9b).Length);
    }

    [Fact]
    public void Lock_cmpxchg16b_through_rdi_is_five_bytes()
    {
        var i = Decode(0xf0, 0x48, 0x0f, 0xc7, 0x0f, 0x90);
        Assert.Equal(X86InstructionKind.CmpXchg16b, i.Kind);
        Assert.Equal(5, i.Length);
        Assert.Equal("lock cmpxchg16b", i.Mnemonic);
        Assert.Equal(new MemoryOperand(Rdi, null, 1, 0, false, SegmentOverride.None), i.Operand);
    }

    [Fact]
    public void Cmpxchg16b_without_lock_is_named_so()
    {
        var i = Decode(0x48, 0x0f, 0xc7, 0x0e);
        Assert.Equal("cmpxchg16b", i.Mnemonic);
        Assert.Equal(4, i.Length);
        Assert.Equal(Rsi, i.Operand!.BaseRegister);
    }

    [Fact]
    public void A_SIB_byte_with_rsp_base_and_disp8()
    {
        // lock cmpxchg16b [rsp+8]
        var op = CmpXchg16b(7, 0xf0, 0x48, 0x0f, 0xc7, 0x4c, 0x24, 0x08);
        Assert.Equal(new MemoryOperand(Rsp, null, 1, 8, false, SegmentOverride.None), op);
    }

    [Fact]
    public void A_SIB_byte_with_index_and_scale()
    {
        // cmpxchg16b [rax+rcx*4]
        var op = CmpXchg16b(5, 0x48, 0x0f, 0xc7, 0x0c, 0x88);
        Assert.Equal(new MemoryOperand(Rax, Rcx, 4, 0, false, SegmentOverride.None), op);
    }

    [Fact]
    public void A_negative_disp8_is_sign_extended()
    {
        var op = CmpXchg16b(5, 0x48, 0x0f, 0xc7, 0x4f, 0xf0); // [rdi-16]
        Assert.Equal(-16, op.Displacement);
        Assert.Equal(Rdi, op.BaseRegister);
    }

    [Fact]
    public void Mod_1_with_rm_5_is_rbp_plus_disp8_not_RIP_relative()
    {
        var op = CmpXchg16b(5, 0x48, 0x0f, 0xc7, 0x4d, 0x10); // [rbp+0x10]
        Assert.Equal(new MemoryOperand(Rbp, null, 1, 0x10, false, SegmentOverride.None), op);
    }

    [Fact]
    public void A_disp32_is_read_little_endian_and_sign_extended()
    {
        var op = CmpXchg16b(8, 0x48, 0x0f, 0xc7, 0x8f, 0x78, 0x56, 0x34, 0x12); // [rdi+0x12345678]
        Assert.Equal(0x1234_5678, op.Displacement);
        var negative = CmpXchg16b(8, 0x48, 0x0f, 0xc7, 0x8f, 0x00, 0x00, 0x00, 0x80);
        Assert.Equal(int.MinValue, negative.Displacement);
    }

    [Fact]
    public void Mod_0_rm_5_is_RIP_relative_with_a_disp32()
    {
        var op = CmpXchg16b(9, 0xf0, 0x48, 0x0f, 0xc7, 0x0d, 0x00, 0x01, 0x00, 0x00); // [rip+0x100]
        Assert.Equal(new MemoryOperand(null, null, 1, 0x100, true, SegmentOverride.None), op);
    }

    [Fact]
    public void REX_B_does_not_turn_RIP_relative_into_r13()
    {
        var op = CmpXchg16b(8, 0x49, 0x0f, 0xc7, 0x0d, 0x10, 0x00, 0x00, 0x00);
        Assert.True(op.RipRelative);
        Assert.Null(op.BaseRegister);
    }

    [Fact]
    public void A_SIB_with_base_5_and_mod_0_is_an_absolute_disp32()
    {
        var op = CmpXchg16b(9, 0x48, 0x0f, 0xc7, 0x0c, 0x25, 0x00, 0x10, 0x00, 0x00); // [0x1000]
        Assert.Equal(new MemoryOperand(null, null, 1, 0x1000, false, SegmentOverride.None), op);
    }

    [Fact]
    public void A_gs_prefix_is_recorded_as_the_segment()
    {
        var op = CmpXchg16b(6, 0x65, 0xf0, 0x48, 0x0f, 0xc7, 0x0f);
        Assert.Equal(SegmentOverride.Gs, op.Segment);
        Assert.Equal(SegmentOverride.Fs, CmpXchg16b(5, 0x64, 0x48, 0x0f, 0xc7, 0x0f).Segment);
    }

    [Fact]
    public void REX_B_extends_the_base_register()
    {
        Assert.Equal(R15, CmpXchg16b(5, 0xf0, 0x49, 0x0f, 0xc7, 0x0f).BaseRegister); // [r15]
    }

    [Fact]
    public void REX_X_extends_the_index_register()
    {
        var op = CmpXchg16b(6, 0xf0, 0x4a, 0x0f, 0xc7, 0x0c, 0x08); // [rax+r9]
        Assert.Equal(Rax, op.BaseRegister);
        Assert.Equal(R9, op.IndexRegister);
    }

    [Fact]
    public void With_REX_X_index_field_4_is_r12_not_no_index()
    {
        var op = CmpXchg16b(5, 0x4a, 0x0f, 0xc7, 0x0c, 0x20); // [rax+r12]
        Assert.Equal(R12, op.IndexRegister);
        Assert.Null(CmpXchg16b(5, 0x48, 0x0f, 0xc7, 0x0c, 0x20).IndexRegister);
    }

    [Fact]
    public void Xrstor_is_named_but_not_completed()
    {
        var i = Decode(0x48, 0x0f, 0xae, 0x2f);
        Assert.Equal(X86InstructionKind.Unknown, i.Kind);
        Assert.Equal("xrstor", i.Mnemonic);
        Assert.Equal(0, i.Length);
        Assert.Null(i.Operand);
    }

    [Theory]
    [InlineData(new byte[] { 0x0f, 0xae, 0x27 }, "xsave")]
    [InlineData(new byte[] { 0x0f, 0xae, 0x37 }, "xsaveopt")]
    [InlineData(new byte[] { 0x48, 0x0f, 0xc7, 0x2f }, "xsaves")]
    [InlineData(new byte[] { 0x48, 0x0f, 0xc7, 0x1f }, "xrstors")]
    [InlineData(new byte[] { 0x48, 0x0f, 0xc7, 0x27 }, "xsavec")]
    [InlineData(new byte[] { 0x0f, 0x01, 0xd1 }, "xsetbv")]
    [InlineData(new byte[] { 0x0f, 0x01, 0xd0 }, "xgetbv")]
    [InlineData(new byte[] { 0x0f, 0xc7, 0x0f }, "unknown instruction")] // cmpxchg8b: no REX.W
    [InlineData(new byte[] { 0x48, 0x0f, 0xc7, 0xc9 }, "unknown instruction")] // register operand
    [InlineData(new byte[] { 0x90 }, "unknown instruction")]
    public void Other_instructions_are_unknown_with_a_name_for_the_message(byte[] code, string mnemonic)
    {
        var i = X86Decoder.Decode(code);
        Assert.Equal(X86InstructionKind.Unknown, i.Kind);
        Assert.Equal(mnemonic, i.Mnemonic);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0xf0 })]
    [InlineData(new byte[] { 0xf0, 0x48 })]
    [InlineData(new byte[] { 0xf0, 0x48, 0x0f })]
    [InlineData(new byte[] { 0xf0, 0x48, 0x0f, 0xc7 })]
    [InlineData(new byte[] { 0x48, 0x0f, 0xc7, 0x0c })]                   // SIB missing
    [InlineData(new byte[] { 0xf0, 0x48, 0x0f, 0xc7, 0x4c, 0x24 })]       // disp8 missing
    [InlineData(new byte[] { 0x48, 0x0f, 0xc7, 0x8f, 0x78, 0x56, 0x34 })] // disp32 cut short
    [InlineData(new byte[] { 0x48, 0x0f, 0xc7, 0x0d, 0x00 })]             // RIP-relative disp32 cut short
    public void Truncated_input_is_unknown_not_an_exception(byte[] code)
    {
        var i = X86Decoder.Decode(code);
        Assert.Equal(X86InstructionKind.Unknown, i.Kind);
        Assert.Equal(0, i.Length);
    }

    [Fact]
    public void Mxcsr_loads_and_stores_decode_their_memory_operand()
    {
        // ldmxcsr 0x4(%rsp): 0f ae 54 24 04 (the form Linux's kernel_fpu_begin uses).
        var ld = Decode(0x0f, 0xae, 0x54, 0x24, 0x04, 0x83);
        Assert.Equal(X86InstructionKind.LdMxcsr, ld.Kind);
        Assert.Equal(5, ld.Length);
        Assert.Equal(new MemoryOperand(4, null, 1, 4, false, SegmentOverride.None), ld.Operand);
        // stmxcsr (%rdi): 0f ae 1f.
        var st = Decode(0x0f, 0xae, 0x1f);
        Assert.Equal(X86InstructionKind.StMxcsr, st.Kind);
        Assert.Equal(3, st.Length);
        // The register form (mod = 3) is a different instruction (lfence/sfence family).
        Assert.Equal(X86InstructionKind.Unknown, Decode(0x0f, 0xae, 0xd0).Kind);
    }

    [Fact]
    public void Fnclex_and_emms_are_two_bytes()
    {
        Assert.Equal(new X86Instruction(X86InstructionKind.Fnclex, 2, "fnclex"), Decode(0xdb, 0xe2));
        Assert.Equal(new X86Instruction(X86InstructionKind.Emms, 2, "emms"), Decode(0x0f, 0x77));
        Assert.Equal(X86InstructionKind.Unknown, Decode(0xdb, 0xe3).Kind);
    }

    [Fact]
    public void Fifteen_prefixes_are_unknown()
    {
        Assert.Equal(X86InstructionKind.Unknown, X86Decoder.Decode(Enumerable.Repeat((byte)0x66, 15).ToArray()).Kind);
    }

    [Fact]
    public void Random_bytes_never_throw_and_results_stay_inside_the_input()
    {
        // Plain random bytes, and instruction-shaped ones (prefixes, REX, an opcode the decoder knows, random ModRM
        // and tail, cut at a random length) so that the deep paths are exercised too.
        var prefixes = Gen.OneOf<byte>(0xf0, 0x64, 0x65, 0x66, 0x2e, 0xf3).Array[0, 3];
        var rex = Gen.OneOf(Gen.Const(Array.Empty<byte>()), Gen.Byte[0x40, 0x4f].Select(b => new[] { b }), Gen.Byte[0x48, 0x4f].Select(b => new[] { b }));
        var opcode = Gen.OneOf<byte[]>([0x0f, 0xc7], [0x0f, 0xae], [0x0f, 0x01], [0xcc], [0x9b], [0x0f], [0x0f, 0x77], [0xdb, 0xe2]);
        // A ModRM with reg = 1 and a memory operand (the cmpxchg16b form) half the time, any byte otherwise.
        var modrm = Gen.OneOf(Gen.Byte, Gen.Select(Gen.Int[0, 2], Gen.Int[0, 7], (mod, rm) => (byte)((mod << 6) | (1 << 3) | rm)));
        var shaped = Gen.Select(prefixes, rex, opcode, modrm, Gen.Byte.Array[0, 9],
            Gen.OneOf(Gen.Int[0, X86Decoder.MaxLength], Gen.Const(X86Decoder.MaxLength)),
            (p, r, o, m, tail, cut) => p.Concat(r).Concat(o).Append(m).Concat(tail).Take(cut).ToArray());
        var bytes = Gen.OneOf(Gen.Byte.Array[0, X86Decoder.MaxLength], shaped);
        long int3 = 0, cmpxchg16b = 0;

        bytes.Sample(code =>
        {
            var i = X86Decoder.Decode(code);
            switch (i.Kind)
            {
                case X86InstructionKind.Int3:
                    Assert.InRange(i.Length, 1, code.Length);
                    Assert.Equal(0xcc, code[i.Length - 1]);
                    Interlocked.Increment(ref int3);
                    break;
                case X86InstructionKind.Fwait:
                    Assert.InRange(i.Length, 1, code.Length);
                    Assert.Equal(0x9b, code[i.Length - 1]);
                    break;
                case X86InstructionKind.Emms or X86InstructionKind.Fnclex:
                    Assert.InRange(i.Length, 2, code.Length);
                    Assert.Null(i.Operand);
                    break;
                case X86InstructionKind.CmpXchg16b or X86InstructionKind.LdMxcsr or X86InstructionKind.StMxcsr:
                    Assert.InRange(i.Length, 3, code.Length);
                    var op = Assert.IsType<MemoryOperand>(i.Operand);
                    Assert.True(op.BaseRegister is null or >= 0 and <= 15);
                    Assert.True(op.IndexRegister is null or >= 0 and <= 15);
                    Assert.Contains(op.Scale, new[] { 1, 2, 4, 8 });
                    Assert.False(op.RipRelative && op.BaseRegister is not null);
                    Interlocked.Increment(ref cmpxchg16b);
                    break;
                default:
                    Assert.Equal(0, i.Length);
                    break;
            }
        }, iter: 100_000);

        Assert.True(int3 > 1000 && cmpxchg16b > 500, $"int3 {int3}, cmpxchg16b {cmpxchg16b}: the generator misses the decoder's paths");
    }
}
