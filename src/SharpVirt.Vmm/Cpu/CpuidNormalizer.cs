using System.Numerics;
using SharpVirt.Interop.Kvm.Abi;

namespace SharpVirt.Vmm.Cpu;

/// <summary>Fills the per-vCPU CPUID values (APIC IDs, topology) that KVM leaves to the VMM.</summary>
public static class CpuidNormalizer
{
    private const uint HypervisorBit = 1u << 31;
    private const uint HttBit = 1u << 28;

    /// <summary>The CPUID table for vCPU <paramref name="apicId"/> of <paramref name="vcpuCount"/>: one socket, one thread per core.</summary>
    public static kvm_cpuid_entry2[] ForVcpu(IReadOnlyList<kvm_cpuid_entry2> template, uint apicId, int vcpuCount)
    {
        var coreBits = (uint)BitOperations.Log2(BitOperations.RoundUpToPowerOf2((uint)vcpuCount));
        var result = new kvm_cpuid_entry2[template.Count];
        for (var i = 0; i < template.Count; i++)
        {
            var e = template[i];
            switch (e.function)
            {
                case 1:
                    // EBX: APIC ID (31:24), logical processors per package (23:16), CLFLUSH line size in 8-byte units (15:8).
                    e.ebx = (apicId << 24) | ((uint)vcpuCount << 16) | (8u << 8) | (e.ebx & 0xff);
                    e.ecx |= HypervisorBit;
                    e.edx = vcpuCount > 1 ? e.edx | HttBit : e.edx & ~HttBit;
                    break;
                case 4:
                    // EAX 31:26: cores per package minus one; 25:14: threads sharing this cache minus one.
                    var cacheLevel = (e.eax >> 5) & 7;
                    var sharing = cacheLevel >= 3 ? (uint)vcpuCount - 1 : 0;
                    e.eax = (e.eax & 0x3fff) | (sharing << 14) | (((uint)vcpuCount - 1) << 26);
                    break;
                case 0xb:
                    // x2APIC topology: level 0 = SMT (1 thread), level 1 = core (all vCPUs).
                    e.edx = apicId;
                    switch (e.index)
                    {
                        case 0: e.eax = 0; e.ebx = 1; e.ecx = (1u << 8) | 0; break;
                        case 1: e.eax = coreBits; e.ebx = (uint)vcpuCount; e.ecx = (2u << 8) | 1; break;
                        default: e.eax = 0; e.ebx = 0; e.ecx = e.index; break;
                    }

                    break;
                case 0x8000_0008:
                    // ECX 7:0: number of cores minus one (AMD-style topology).
                    e.ecx = (e.ecx & ~0xffu) | ((uint)vcpuCount - 1);
                    break;
            }

            result[i] = e;
        }

        return result;
    }
}
