using SharpVirt.Interop;
using SharpVirt.Interop.Kvm;
using SharpVirt.Interop.Kvm.Abi;
using SharpVirt.Memory;

namespace SharpVirt.Vmm.Emulation;

/// <summary>The result of trying to complete an instruction.</summary>
public readonly record struct AssistResult(bool Handled, string Message);

/// <summary>
/// Completes instructions that KVM reported as emulation failures (KVM_EXIT_INTERNAL_ERROR, suberror EMULATION),
/// as kvm_pvm hosts do for some instructions in guest kernel mode:
/// <c>int3</c> becomes an injected #BP; <c>lock cmpxchg16b</c> is done atomically on guest memory after translating
/// its address with KVM_TRANSLATE; <c>fwait</c> completes as the no-op it is with no x87 exception pending (kernels
/// keep x87 exceptions masked); <c>ldmxcsr</c>, <c>stmxcsr</c>, <c>fnclex</c> and <c>emms</c> act on the vCPU's FPU
/// state through KVM_GET_XSAVE/KVM_SET_XSAVE (KVM_GET_FPU reads MXCSR as 0 on kvm_pvm hosts, measured).
/// Anything else stops the guest with its RIP and instruction bytes.
/// </summary>
public sealed unsafe class EmulationAssist(GuestMemory memory)
{
    private const byte BreakpointVector = 3;
    private const byte GeneralProtectionVector = 13;
    private const byte PageFaultVector = 14;
    private const ulong FlagZf = 1 << 6;
    private const uint MxcsrReservedBits = 0xffff0000;
    private const ushort FswExceptionBits = 0x80ff;
    // Offsets in the legacy (FXSAVE) area of an XSAVE image, and the header's XSTATE_BV.
    private const int FswOffset = 2, FtwOffset = 4, MxcsrOffset = 24, XstateBvOffset = 512;
    private const ulong XstateX87AndSse = 3;
    private readonly long[] _completed = new long[Enum.GetValues<X86InstructionKind>().Length];

    /// <summary>How many instructions of <paramref name="kind"/> the assist completed.</summary>
    public long Completed(X86InstructionKind kind) => Interlocked.Read(ref _completed[(int)kind]);

    /// <summary>Handles an internal-error exit on <paramref name="vcpu"/>.</summary>
    public AssistResult Handle(VcpuFd vcpu)
    {
        var error = vcpu.Exit<kvm_run_internal>();
        var regs = vcpu.GetRegs();
        if (error->suberror != KvmConst.InternalErrorEmulation)
        {
            return new AssistResult(false, $"KVM internal error (suberror {error->suberror}) at guest RIP 0x{regs.rip:x}");
        }

        var sregs = vcpu.GetSregs();
        var code = new byte[X86Decoder.MaxLength];
        var fetched = ReadLinear(vcpu, sregs.cs.@base + regs.rip, code);
        var instruction = X86Decoder.Decode(code.AsSpan(0, fetched));
        var handled = instruction.Kind switch
        {
            X86InstructionKind.Int3 => Advance(vcpu, ref regs, instruction) && Inject(vcpu, BreakpointVector, null),
            X86InstructionKind.Fwait => Advance(vcpu, ref regs, instruction),
            X86InstructionKind.CmpXchg16b => CompleteCmpXchg16b(vcpu, ref regs, sregs, instruction),
            X86InstructionKind.LdMxcsr or X86InstructionKind.StMxcsr => CompleteMxcsr(vcpu, ref regs, sregs, instruction),
            X86InstructionKind.Fnclex => UpdateFpuImage(vcpu, image => image[FswOffset] &= unchecked((byte)~FswExceptionBits)) && Advance(vcpu, ref regs, instruction),
            X86InstructionKind.Emms => UpdateFpuImage(vcpu, image => image[FtwOffset] = 0) && Advance(vcpu, ref regs, instruction),
            _ => false,
        };
        if (!handled)
        {
            var bytes = string.Join(' ', code.Take(fetched).Select(b => b.ToString("x2")));
            return new AssistResult(false,
                $"the host's KVM cannot emulate the guest instruction at RIP 0x{regs.rip:x} ({instruction.Mnemonic}; bytes: {bytes}); " +
                "a Linux guest avoids such instructions with --cpu-template compat (the default)");
        }

        Interlocked.Increment(ref _completed[(int)instruction.Kind]);
        return new AssistResult(true, instruction.Mnemonic);
    }

    private static bool Advance(VcpuFd vcpu, ref kvm_regs regs, X86Instruction instruction)
    {
        regs.rip += (ulong)instruction.Length;
        vcpu.SetRegs(regs);
        return true;
    }

    private delegate void FpuImageEdit(Span<byte> image);

    /// <summary>Reads the vCPU's XSAVE image, lets <paramref name="edit"/> change its legacy area, and writes it back.</summary>
    private static bool UpdateFpuImage(VcpuFd vcpu, FpuImageEdit edit)
    {
        var xsave = vcpu.GetXsave();
        var image = new Span<byte>(xsave.region, sizeof(kvm_xsave));
        edit(image);
        // The legacy x87/SSE state is loaded only for components marked present in XSTATE_BV.
        var bv = BitConverter.ToUInt64(image[XstateBvOffset..]) | XstateX87AndSse;
        BitConverter.TryWriteBytes(image[XstateBvOffset..], bv);
        vcpu.SetXsave(xsave);
        return true;
    }

    private static uint ReadMxcsr(VcpuFd vcpu)
    {
        var xsave = vcpu.GetXsave();
        return xsave.region[MxcsrOffset / 4];
    }

    private bool CompleteCmpXchg16b(VcpuFd vcpu, ref kvm_regs regs, in kvm_sregs sregs, X86Instruction instruction)
    {
        var linear = EffectiveAddress(instruction.Operand!, regs, sregs, instruction.Length);
        if (linear % 16 != 0)
        {
            return Inject(vcpu, GeneralProtectionVector, 0);
        }

        // 16-byte aligned: the operand lies in one page.
        var t = vcpu.Translate(linear);
        if (t.valid == 0 || !memory.IsValidRange(t.physical_address, 16))
        {
            return Inject(vcpu, PageFaultVector, 2);
        }

        Span<ulong> expected = [regs.rax, regs.rdx];
        ReadOnlySpan<ulong> desired = [regs.rbx, regs.rcx];
        memory.MarkWritten(t.physical_address, 16);
        if (NativeCode.CompareExchange128(memory.GetHostAddress(t.physical_address, 16), expected, desired))
        {
            regs.rflags |= FlagZf;
        }
        else
        {
            regs.rflags &= ~FlagZf;
            regs.rax = expected[0];
            regs.rdx = expected[1];
        }

        return Advance(vcpu, ref regs, instruction);
    }

    private bool CompleteMxcsr(VcpuFd vcpu, ref kvm_regs regs, in kvm_sregs sregs, X86Instruction instruction)
    {
        var linear = EffectiveAddress(instruction.Operand!, regs, sregs, instruction.Length);
        Span<byte> value = stackalloc byte[4];
        if (instruction.Kind == X86InstructionKind.LdMxcsr)
        {
            if (ReadLinear(vcpu, linear, value) != 4)
            {
                return Inject(vcpu, PageFaultVector, 0);
            }

            var mxcsr = BitConverter.ToUInt32(value);
            if ((mxcsr & MxcsrReservedBits) != 0)
            {
                return Inject(vcpu, GeneralProtectionVector, 0);
            }

            UpdateFpuImage(vcpu, image => BitConverter.TryWriteBytes(image[MxcsrOffset..], mxcsr));
        }
        else
        {
            BitConverter.TryWriteBytes(value, ReadMxcsr(vcpu));
            if (!WriteLinear(vcpu, linear, value))
            {
                return Inject(vcpu, PageFaultVector, 2);
            }
        }

        return Advance(vcpu, ref regs, instruction);
    }

    /// <summary>The linear address of a memory operand.</summary>
    public static ulong EffectiveAddress(MemoryOperand operand, in kvm_regs regs, in kvm_sregs sregs, int instructionLength)
    {
        var address = unchecked((ulong)operand.Displacement);
        if (operand.RipRelative)
        {
            address = unchecked(address + regs.rip + (ulong)instructionLength);
        }

        if (operand.BaseRegister is { } b)
        {
            address = unchecked(address + Register(regs, b));
        }

        if (operand.IndexRegister is { } x)
        {
            address = unchecked(address + Register(regs, x) * (ulong)operand.Scale);
        }

        return operand.Segment switch
        {
            SegmentOverride.Fs => unchecked(address + sregs.fs.@base),
            SegmentOverride.Gs => unchecked(address + sregs.gs.@base),
            _ => address,
        };
    }

    /// <summary>A general-purpose register by its x86 encoding number (0 = RAX ... 15 = R15).</summary>
    public static ulong Register(in kvm_regs r, int number) => number switch
    {
        0 => r.rax, 1 => r.rcx, 2 => r.rdx, 3 => r.rbx, 4 => r.rsp, 5 => r.rbp, 6 => r.rsi, 7 => r.rdi,
        8 => r.r8, 9 => r.r9, 10 => r.r10, 11 => r.r11, 12 => r.r12, 13 => r.r13, 14 => r.r14, 15 => r.r15,
        _ => throw new ArgumentOutOfRangeException(nameof(number)),
    };

    private static bool Inject(VcpuFd vcpu, byte vector, uint? errorCode)
    {
        var events = vcpu.GetVcpuEvents();
        events.exception_injected = 1;
        events.exception_pending = 0;
        events.exception_nr = vector;
        events.exception_has_error_code = errorCode is null ? (byte)0 : (byte)1;
        events.exception_error_code = errorCode ?? 0;
        events.exception_has_payload = 0;
        vcpu.SetVcpuEvents(events);
        return true;
    }

    /// <summary>Reads guest bytes at a linear address, page by page through the guest's page tables; returns how many.</summary>
    private int ReadLinear(VcpuFd vcpu, ulong linear, Span<byte> destination)
    {
        var done = 0;
        while (done < destination.Length)
        {
            var chunk = Translate(vcpu, linear + (ulong)done, destination.Length - done);
            if (chunk is not { } c)
            {
                break;
            }

            memory.Read(c.Physical, destination.Slice(done, c.Length));
            done += c.Length;
        }

        return done;
    }

    /// <summary>Writes guest bytes at a linear address; false (nothing written) if any page is unmapped.</summary>
    private bool WriteLinear(VcpuFd vcpu, ulong linear, ReadOnlySpan<byte> source)
    {
        var first = Translate(vcpu, linear, source.Length);
        if (first is not { } a)
        {
            return false;
        }

        var rest = source.Length - a.Length;
        var second = rest > 0 ? Translate(vcpu, linear + (ulong)a.Length, rest) : null;
        if (rest > 0 && second is null)
        {
            return false;
        }

        memory.Write(a.Physical, source[..a.Length]);
        if (second is { } b)
        {
            memory.Write(b.Physical, source[a.Length..]);
        }

        return true;
    }

    /// <summary>The guest-physical start and length of the part of [linear, linear+length) inside one page.</summary>
    private (ulong Physical, int Length)? Translate(VcpuFd vcpu, ulong linear, int length)
    {
        var t = vcpu.Translate(linear);
        var inPage = (int)Math.Min(4096 - (linear & 0xfff), (ulong)length);
        return t.valid != 0 && memory.IsValidRange(t.physical_address, (ulong)inPage) ? (t.physical_address, inPage) : null;
    }
}
