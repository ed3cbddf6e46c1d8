namespace SharpVirt.Vmm.Emulation;

/// <summary>
/// Decodes just enough 64-bit x86 to finish the instructions kvm_pvm hosts cannot emulate, and to name the
/// ones it cannot finish. Input bytes come from the guest: every read is bounds-checked.
/// </summary>
public static class X86Decoder
{
    /// <summary>The longest x86 instruction.</summary>
    public const int MaxLength = 15;

    /// <summary>Decodes the instruction at the start of <paramref name="code"/> (64-bit mode).</summary>
    public static X86Instruction Decode(ReadOnlySpan<byte> code)
    {
        var i = 0;
        var segment = SegmentOverride.None;
        var rex = 0;
        var lockPrefix = false;
        while (i < code.Length && i < MaxLength)
        {
            var b = code[i];
            if (b == 0xf0) { lockPrefix = true; }
            else if (b == 0x64) { segment = SegmentOverride.Fs; }
            else if (b == 0x65) { segment = SegmentOverride.Gs; }
            else if (b is 0x2e or 0x36 or 0x3e or 0x26 or 0x66 or 0x67 or 0xf2 or 0xf3) { }
            else { break; }
            i++;
        }

        if (i < code.Length && code[i] >= 0x40 && code[i] <= 0x4f)
        {
            rex = code[i++];
        }

        if (i >= code.Length)
        {
            return Unknown(code);
        }

        if (code[i] == 0xcc)
        {
            return new X86Instruction(X86InstructionKind.Int3, i + 1, "int3");
        }

        if (code[i] == 0x9b && rex == 0)
        {
            return new X86Instruction(X86InstructionKind.Fwait, i + 1, "fwait");
        }

        if (code[i] == 0xdb && i + 1 < code.Length && code[i + 1] == 0xe2)
        {
            return new X86Instruction(X86InstructionKind.Fnclex, i + 2, "fnclex");
        }

        if (code[i] == 0x0f && i + 1 < code.Length && code[i + 1] == 0x77)
        {
            return new X86Instruction(X86InstructionKind.Emms, i + 2, "emms");
        }

        if (code[i] != 0x0f || i + 2 >= code.Length)
        {
            return Unknown(code);
        }

        var op = code[i + 1];
        var modrm = code[i + 2];
        var reg = (modrm >> 3) & 7;
        var mod = modrm >> 6;
        if (op == 0xc7 && reg == 1 && mod != 3 && (rex & 0x08) != 0)
        {
            var operand = DecodeModRm(code, i + 2, rex, segment, out var length);
            return operand is null
                ? Unknown(code)
                : new X86Instruction(X86InstructionKind.CmpXchg16b, length, lockPrefix ? "lock cmpxchg16b" : "cmpxchg16b", operand);
        }

        if (op == 0xae && reg is 2 or 3 && mod != 3)
        {
            var operand = DecodeModRm(code, i + 2, rex, segment, out var length);
            return operand is null
                ? Unknown(code)
                : reg == 2
                    ? new X86Instruction(X86InstructionKind.LdMxcsr, length, "ldmxcsr", operand)
                    : new X86Instruction(X86InstructionKind.StMxcsr, length, "stmxcsr", operand);
        }

        var name = (op, reg, mod) switch
        {
            (0xae, 4, not 3) => "xsave",
            (0xae, 5, not 3) => "xrstor",
            (0xc7, 3, not 3) => "xrstors",
            (0xc7, 4, not 3) => "xsavec",
            (0xc7, 5, not 3) => "xsaves",
            (0xae, 6, not 3) => "xsaveopt",
            (0x01, _, 3) when modrm == 0xd1 => "xsetbv",
            (0x01, _, 3) when modrm == 0xd0 => "xgetbv",
            _ => "unknown instruction",
        };
        return new X86Instruction(X86InstructionKind.Unknown, 0, name);
    }

    private static X86Instruction Unknown(ReadOnlySpan<byte> code) =>
        new(X86InstructionKind.Unknown, 0, code.Length > 0 && code[0] == 0xcc ? "int3" : "unknown instruction");

    /// <summary>Decodes a ModRM (+SIB, +displacement) memory operand starting at <paramref name="at"/>.</summary>
    private static MemoryOperand? DecodeModRm(ReadOnlySpan<byte> code, int at, int rex, SegmentOverride segment, out int length)
    {
        length = 0;
        var modrm = code[at];
        var mod = modrm >> 6;
        var rm = modrm & 7;
        var next = at + 1;
        int? baseReg;
        int? indexReg = null;
        var scale = 1;
        var ripRelative = false;

        if (rm == 4)
        {
            if (next >= code.Length)
            {
                return null;
            }

            var sib = code[next++];
            scale = 1 << (sib >> 6);
            var index = ((sib >> 3) & 7) | ((rex & 0x02) << 2);
            indexReg = index == 4 ? null : index;
            var sibBase = sib & 7;
            baseReg = sibBase == 5 && mod == 0 ? null : sibBase | ((rex & 0x01) << 3);
            if (sibBase == 5 && mod == 0)
            {
                mod = 2; // disp32 with no base: read a 32-bit displacement below.
            }
        }
        else if (rm == 5 && mod == 0)
        {
            baseReg = null;
            ripRelative = true;
            mod = 2;
        }
        else
        {
            baseReg = rm | ((rex & 0x01) << 3);
        }

        long displacement = 0;
        if (mod == 1)
        {
            if (next >= code.Length)
            {
                return null;
            }

            displacement = (sbyte)code[next++];
        }
        else if (mod == 2)
        {
            if (next + 4 > code.Length)
            {
                return null;
            }

            displacement = BitConverter.ToInt32(code.Slice(next, 4));
            next += 4;
        }

        length = next;
        return new MemoryOperand(baseReg, indexReg, scale, displacement, ripRelative, segment);
    }
}
