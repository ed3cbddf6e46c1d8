using SharpVirt.Interop.Kvm.Abi;

namespace SharpVirt.Vmm.Cpu;

/// <summary>One CPUID register bit mask: bits to clear in (leaf, subleaf, register).</summary>
public readonly record struct CpuidMask(uint Leaf, uint? Subleaf, CpuidRegister Register, uint ClearBits);

/// <summary>A CPUID register.</summary>
public enum CpuidRegister
{
    /// <summary>EAX.</summary>
    Eax,
    /// <summary>EBX.</summary>
    Ebx,
    /// <summary>ECX.</summary>
    Ecx,
    /// <summary>EDX.</summary>
    Edx,
}

/// <summary>
/// A named CPU model: which CPUID feature bits the guest must not see, and which leaves it must not see at all.
/// The same mechanism serves hosts whose KVM cannot run some instructions and, later, live migration between hosts.
/// </summary>
/// <param name="Name">What users type after --cpu-template.</param>
/// <param name="Description">One line for the listing.</param>
/// <param name="Masks">CPUID bits cleared in the table given to KVM.</param>
/// <param name="HiddenLeaves">CPUID leaves removed from that table.</param>
/// <param name="LinuxArguments">
/// Kernel arguments that clear the same features inside a Linux guest. They are needed on kvm_pvm hosts, whose
/// emulator answers CPUID in guest kernel mode from the host CPU and ignores KVM_SET_CPUID2 (measured: leaf 1 ECX
/// reads f7f81203 in the guest where the VMM set 81200000).
/// </param>
public sealed record CpuTemplate(string Name, string Description, IReadOnlyList<CpuidMask> Masks, IReadOnlyList<uint> HiddenLeaves,
    string LinuxArguments = "")
{
    /// <summary>Pass through everything KVM supports.</summary>
    public static readonly CpuTemplate Host = new("host", "every feature KVM supports on this host", [], []);

    /// <summary>
    /// Hides CMPXCHG16B and the whole XSAVE family (and AVX, which needs XSAVE): kvm_pvm hosts cannot emulate
    /// these instructions in guest kernel mode (see shared/KVM-HOST-NOTES.md).
    /// </summary>
    public static readonly CpuTemplate Compat = new(
        "compat",
        "hides CX16, XSAVE/AVX, SMAP, POPCNT, MOVBE, RDRAND/RDSEED, FSGSBASE (needed on kvm_pvm hosts)",
        [
            // Leaf 1 ECX: FMA(12), CX16(13), XSAVE(26), OSXSAVE(27), AVX(28), F16C(29).
            new(1, null, CpuidRegister.Ecx, (1u << 12) | (1u << 13) | (1u << 26) | (1u << 27) | (1u << 28) | (1u << 29)),
            // Leaf 7.0 EBX: AVX2(5), AVX-512 F/DQ/IFMA/PF/ER/CD/BW/VL.
            new(7, 0, CpuidRegister.Ebx, (1u << 5) | (1u << 16) | (1u << 17) | (1u << 21) | (1u << 26) | (1u << 27) | (1u << 28) | (1u << 30) | (1u << 31)),
            // Leaf 7.0 ECX: AVX512_VBMI(1), VBMI2(6), GFNI(8), VAES(9), VPCLMULQDQ(10), VNNI(11), BITALG(12), VPOPCNTDQ(14).
            new(7, 0, CpuidRegister.Ecx, (1u << 1) | (1u << 6) | (1u << 8) | (1u << 9) | (1u << 10) | (1u << 11) | (1u << 12) | (1u << 14)),
            // Leaf 7.0 EDX: AVX512_4VNNIW(2), 4FMAPS(3), VP2INTERSECT(8), AMX-BF16(22), AVX512_FP16(23), AMX-TILE(24), AMX-INT8(25).
            new(7, 0, CpuidRegister.Edx, (1u << 2) | (1u << 3) | (1u << 8) | (1u << 22) | (1u << 23) | (1u << 24) | (1u << 25)),
            // Leaf 7.1 EAX: AVX-VNNI(4), AVX512_BF16(5).
            new(7, 1, CpuidRegister.Eax, (1u << 4) | (1u << 5)),
        ],
        // Leaf 0xD describes XSAVE state components.
        [0xd],
        // Linux feature numbers (word * 32 + bit): cx16 141, movbe 150, popcnt 151, rdrand 158, fsgsbase 288,
        // rdseed 306, smap 308. Each is an instruction the kvm_pvm emulator fails on in kernel mode.
        "noxsave clearcpuid=141,150,151,158,288,306,308");

    /// <summary>The templates users can name.</summary>
    public static IReadOnlyList<CpuTemplate> All { get; } = [Compat, Host];

    /// <summary>Finds a template by name (case-insensitive).</summary>
    public static CpuTemplate? Find(string name) =>
        All.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Applies this template to <paramref name="entries"/>: masked bits cleared, hidden leaves removed.</summary>
    public kvm_cpuid_entry2[] Apply(IEnumerable<kvm_cpuid_entry2> entries)
    {
        var result = new List<kvm_cpuid_entry2>();
        foreach (var original in entries)
        {
            if (HiddenLeaves.Contains(original.function))
            {
                continue;
            }

            var e = original;
            foreach (var m in Masks)
            {
                if (m.Leaf != e.function || (m.Subleaf is { } sub && sub != e.index))
                {
                    continue;
                }

                switch (m.Register)
                {
                    case CpuidRegister.Eax: e.eax &= ~m.ClearBits; break;
                    case CpuidRegister.Ebx: e.ebx &= ~m.ClearBits; break;
                    case CpuidRegister.Ecx: e.ecx &= ~m.ClearBits; break;
                    case CpuidRegister.Edx: e.edx &= ~m.ClearBits; break;
                }
            }

            result.Add(e);
        }

        return [.. result];
    }
}
