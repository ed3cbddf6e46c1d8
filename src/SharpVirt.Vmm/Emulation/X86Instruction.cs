namespace SharpVirt.Vmm.Emulation;

/// <summary>What the emulation assist recognises of an instruction that KVM failed to emulate.</summary>
public enum X86InstructionKind
{
    /// <summary>Anything the assist cannot complete.</summary>
    Unknown,
    /// <summary><c>int3</c> (0xCC): a breakpoint trap.</summary>
    Int3,
    /// <summary><c>cmpxchg16b m128</c> (REX.W 0F C7 /1), usually with a lock prefix.</summary>
    CmpXchg16b,
    /// <summary><c>fwait</c> (0x9B): waits for pending x87 exceptions; with none pending it does nothing.</summary>
    Fwait,
    /// <summary><c>ldmxcsr m32</c> (0F AE /2): loads MXCSR from memory.</summary>
    LdMxcsr,
    /// <summary><c>stmxcsr m32</c> (0F AE /3): stores MXCSR to memory.</summary>
    StMxcsr,
    /// <summary><c>fnclex</c> (DB E2): clears the x87 exception flags.</summary>
    Fnclex,
    /// <summary><c>emms</c> (0F 77): marks every x87 register empty.</summary>
    Emms,
}

/// <summary>A decoded instruction: its kind, length and, for a memory operand, how to form its address.</summary>
public sealed record X86Instruction(
    X86InstructionKind Kind,
    int Length,
    string Mnemonic,
    MemoryOperand? Operand = null);

/// <summary>
/// A ModRM memory operand: segment base + base register + index register * scale + displacement,
/// or RIP-relative (displacement from the next instruction).
/// </summary>
public sealed record MemoryOperand(int? BaseRegister, int? IndexRegister, int Scale, long Displacement, bool RipRelative, SegmentOverride Segment);

/// <summary>A segment override prefix; only FS and GS have bases in 64-bit mode.</summary>
public enum SegmentOverride
{
    /// <summary>No override (base 0 in 64-bit mode).</summary>
    None,
    /// <summary>FS (0x64).</summary>
    Fs,
    /// <summary>GS (0x65).</summary>
    Gs,
}
