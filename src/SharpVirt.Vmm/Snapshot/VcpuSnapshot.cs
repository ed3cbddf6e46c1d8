using System.Runtime.InteropServices;
using SharpVirt.Interop.Kvm;
using SharpVirt.Interop.Kvm.Abi;

namespace SharpVirt.Vmm.Snapshot;

/// <summary>
/// One vCPU's KVM state, each piece the raw kernel struct (its layout is checked against &lt;linux/kvm.h&gt; by the
/// ABI test), so that a snapshot restores exactly what KVM gave.
/// </summary>
public sealed record VcpuSnapshot
{
    /// <summary>The vCPU's id (its APIC id).</summary>
    public required uint Id { get; init; }

    /// <summary>The CPUID entries the vCPU was given (kvm_cpuid_entry2 each).</summary>
    public required byte[] Cpuid { get; init; }

    /// <summary>struct kvm_regs.</summary>
    public required byte[] Regs { get; init; }

    /// <summary>struct kvm_sregs.</summary>
    public required byte[] Sregs { get; init; }

    /// <summary>struct kvm_xsave (FPU, SSE, AVX state).</summary>
    public required byte[] Xsave { get; init; }

    /// <summary>struct kvm_xcrs.</summary>
    public required byte[] Xcrs { get; init; }

    /// <summary>struct kvm_lapic_state.</summary>
    public required byte[] Lapic { get; init; }

    /// <summary>struct kvm_vcpu_events (pending exceptions, interrupts, NMIs).</summary>
    public required byte[] Events { get; init; }

    /// <summary>struct kvm_mp_state.</summary>
    public required uint MpState { get; init; }

    /// <summary>struct kvm_debugregs.</summary>
    public required byte[] Debugregs { get; init; }

    /// <summary>Every MSR KVM could read: index and value pairs (kvm_msr_entry each).</summary>
    public required byte[] Msrs { get; init; }

    /// <summary>Reads the state of a vCPU that is not in KVM_RUN (paused).</summary>
    public static VcpuSnapshot Capture(uint id, VcpuFd vcpu, ReadOnlySpan<kvm_cpuid_entry2> cpuid, ReadOnlySpan<uint> msrIndices) => new()
    {
        Id = id,
        Cpuid = MemoryMarshal.AsBytes(cpuid).ToArray(),
        Regs = Bytes(vcpu.GetRegs()),
        Sregs = Bytes(vcpu.GetSregs()),
        Xsave = Bytes(vcpu.GetXsave()),
        Xcrs = Bytes(vcpu.GetXcrs()),
        Lapic = Bytes(vcpu.GetLapic()),
        Events = Bytes(vcpu.GetVcpuEvents()),
        MpState = vcpu.GetMpState().mp_state,
        Debugregs = Bytes(vcpu.GetDebugregs()),
        Msrs = MemoryMarshal.AsBytes(ReadableMsrs(vcpu, msrIndices).AsSpan()).ToArray(),
    };

    /// <summary>The CPUID entries, for KVM_SET_CPUID2 before the rest is applied.</summary>
    public kvm_cpuid_entry2[] CpuidEntries() => MemoryMarshal.Cast<byte, kvm_cpuid_entry2>(Cpuid).ToArray();

    /// <summary>
    /// Writes the state into a new vCPU (its CPUID set already), in the order QEMU uses: the LAPIC before the MSRs, so
    /// that the TSC-deadline MSR lands in a timer already in TSC-deadline mode.
    /// </summary>
    public void Apply(VcpuFd vcpu)
    {
        vcpu.SetRegs(Struct<kvm_regs>(Regs, nameof(Regs)));
        vcpu.SetXsave(Struct<kvm_xsave>(Xsave, nameof(Xsave)));
        vcpu.SetXcrs(Struct<kvm_xcrs>(Xcrs, nameof(Xcrs)));
        vcpu.SetSregs(Struct<kvm_sregs>(Sregs, nameof(Sregs)));
        vcpu.SetMpState(new kvm_mp_state { mp_state = MpState });
        vcpu.SetLapic(Struct<kvm_lapic_state>(Lapic, nameof(Lapic)));
        vcpu.SetVcpuEvents(Struct<kvm_vcpu_events>(Events, nameof(Events)));
        vcpu.SetMsrs(MemoryMarshal.Cast<byte, kvm_msr_entry>(Msrs));
        vcpu.SetDebugregs(Struct<kvm_debugregs>(Debugregs, nameof(Debugregs)));
    }

    /// <summary>KVM lists some MSRs it cannot read on every host; KVM_GET_MSRS stops at the first: skip it, go on.</summary>
    private static kvm_msr_entry[] ReadableMsrs(VcpuFd vcpu, ReadOnlySpan<uint> indices)
    {
        var result = new List<kvm_msr_entry>(indices.Length);
        var rest = indices;
        while (rest.Length > 0)
        {
            var read = vcpu.TryGetMsrs(rest, out var entries);
            result.AddRange(entries);
            rest = rest[Math.Min(rest.Length, read + 1)..];
        }

        return [.. result];
    }

    /// <summary>A kernel struct's bytes, as the snapshot keeps them.</summary>
    internal static byte[] Bytes<T>(T value)
        where T : unmanaged => MemoryMarshal.AsBytes(new ReadOnlySpan<T>(ref value)).ToArray();

    /// <summary>A kernel struct back from its snapshot bytes; a wrong length is a corrupt snapshot.</summary>
    internal static T Struct<T>(byte[] bytes, string name)
        where T : unmanaged =>
        bytes.Length == Marshal.SizeOf<T>()
            ? MemoryMarshal.Read<T>(bytes)
            : throw new SnapshotException(SnapshotErrorKind.Corrupt, $"{name} holds {bytes.Length} bytes; {typeof(T).Name} has {Marshal.SizeOf<T>()}");
}
