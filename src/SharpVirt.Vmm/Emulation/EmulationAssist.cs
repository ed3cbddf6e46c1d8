using SharpVirt.Interop;
using SharpVirt.Interop.Kvm;
using SharpVirt.Interop.Kvm.Abi;
using SharpVirt.Memory;

namespace SharpVirt.Vmm.Emulation;

/// <summary>The result of trying to complete an instruction.</summary>
public readonly record struct AssistResult(bool Handled, string Message);

/// <summary>
/// Completes instructions that KVM reported as emulation failures (KVM_EXIT_INTERNAL_ERROR, suberror EMULATION):
/// <c>int3</c> becomes an injected #BP, <c>lock cmpxchg16b</c> is done atomically on guest memory after
/// translating its address with KVM_TRANSLATE, <c>fwait</c> completes as the no-op it is when no x87 exception is
/// pending (the guest kernel keeps x87 exceptions masked). Anything else stops the guest with its RIP and bytes.
/// </summary>
public sealed unsafe class EmulationAssist(GuestMemory memory)
{
    private const byte BreakpointVector = 3;
    private const byte GeneralProtectionVector = 13;
    private const byte PageFaultVector = 14;
    private const ulong FlagZf = 1 << 6;
    private long _int3;
    private long _cmpxchg16b;
    private long _fwait;

    /// <summary>int3 instructions completed.</summary>
    public long Int3Count => Interlocked.Read(ref _int3);

    /// <summary>cmpxchg16b instructions completed.</summary>
    public long CmpXchg16bCount => Interlocked.Read(ref _cmpxchg16b);

    /// <summary>fwait instructions completed.</summary>
    public long FwaitCount => Interlocked.Read(ref _fwait);

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
        var fetched = FetchCode(vcpu, sregs.cs.@base + regs.rip, code);
        var bytes = string.Join(' ', code.Take(fetched).Select(b => b.ToString("x2")));
        var instruction = X86Decoder.Decode(code.AsSpan(0, fetched));
        switch (instruction.Kind)
        {
            case X86InstructionKind.Int3:
                regs.rip += (ulong)instruction.Length;
                vcpu.SetRegs(regs);
                InjectException(vcpu, BreakpointVector, null);
                Interlocked.Increment(ref _int3);
                return new AssistResult(true, "int3");
            case X86InstructionKind.Fwait:
                regs.rip += (ulong)instruction.Length;
                vcpu.SetRegs(regs);
                Interlocked.Increment(ref _fwait);
                return new AssistResult(true, "fwait");
            case X86InstructionKind.CmpXchg16b:
                return CompleteCmpXchg16b(vcpu, ref regs, sregs, instruction);
            default:
                return new AssistResult(false,
                    $"the host's KVM cannot emulate the guest instruction at RIP 0x{regs.rip:x} ({instruction.Mnemonic}; bytes: {bytes}); " +
                    "a Linux guest avoids such instructions with --cpu-template compat (the default)");
        }
    }

    private AssistResult CompleteCmpXchg16b(VcpuFd vcpu, ref kvm_regs regs, in kvm_sregs sregs, X86Instruction instruction)
    {
        var operand = instruction.Operand!;
        var linear = EffectiveAddress(operand, regs, sregs, instruction.Length);
        if (linear % 16 != 0)
        {
            InjectException(vcpu, GeneralProtectionVector, 0);
            return new AssistResult(true, "cmpxchg16b #GP (misaligned)");
        }

        var t = vcpu.Translate(linear);
        if (t.valid == 0 || !memory.IsValidRange(t.physical_address, 16))
        {
            InjectException(vcpu, PageFaultVector, 2);
            return new AssistResult(true, "cmpxchg16b #PF");
        }

        Span<ulong> expected = [regs.rax, regs.rdx];
        ReadOnlySpan<ulong> desired = [regs.rbx, regs.rcx];
        var stored = NativeCode.CompareExchange128(memory.GetHostAddress(t.physical_address, 16), expected, desired);
        if (stored)
        {
            regs.rflags |= FlagZf;
        }
        else
        {
            regs.rflags &= ~FlagZf;
            regs.rax = expected[0];
            regs.rdx = expected[1];
        }

        regs.rip += (ulong)instruction.Length;
        vcpu.SetRegs(regs);
        Interlocked.Increment(ref _cmpxchg16b);
        return new AssistResult(true, "cmpxchg16b");
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

    private static void InjectException(VcpuFd vcpu, byte vector, uint? errorCode)
    {
        var events = vcpu.GetVcpuEvents();
        events.exception_injected = 1;
        events.exception_pending = 0;
        events.exception_nr = vector;
        events.exception_has_error_code = errorCode is null ? (byte)0 : (byte)1;
        events.exception_error_code = errorCode ?? 0;
        events.exception_has_payload = 0;
        vcpu.SetVcpuEvents(events);
    }

    /// <summary>Reads up to 15 instruction bytes at a linear address, page by page through the guest's page tables.</summary>
    private int FetchCode(VcpuFd vcpu, ulong linear, Span<byte> destination)
    {
        var done = 0;
        while (done < destination.Length)
        {
            var address = linear + (ulong)done;
            var t = vcpu.Translate(address);
            var inPage = (int)Math.Min(4096 - (address & 0xfff), (ulong)(destination.Length - done));
            if (t.valid == 0 || !memory.IsValidRange(t.physical_address, (ulong)inPage))
            {
                break;
            }

            memory.Read(t.physical_address, destination.Slice(done, inPage));
            done += inPage;
        }

        return done;
    }
}
