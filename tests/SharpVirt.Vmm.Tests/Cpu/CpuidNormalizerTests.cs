using SharpVirt.Interop.Kvm.Abi;
using SharpVirt.Vmm.Cpu;

namespace SharpVirt.Vmm.Tests.Cpu;

public sealed class CpuidNormalizerTests
{
    private const uint Hypervisor = 1u << 31;
    private const uint Htt = 1u << 28;

    private static kvm_cpuid_entry2 Entry(uint function, uint index = 0, uint eax = 0, uint ebx = 0, uint ecx = 0, uint edx = 0) =>
        new() { function = function, index = index, eax = eax, ebx = ebx, ecx = ecx, edx = edx };

    private static readonly kvm_cpuid_entry2[] Template =
    [
        Entry(0, eax: 0x1f),
        Entry(1, eax: 0x000906ea, ebx: 0xaabb_cc5d, ecx: 0x7ffa_3203, edx: 0x0f8b_fbff),
        Entry(4, 0, eax: 0x1c00_4121), // L1d: level 1 (bits 7:5 = 1)
        Entry(4, 3, eax: 0x1c00_c163), // L3: level 3
        Entry(0xb, 0, eax: 9, ebx: 9, ecx: 9, edx: 9),
        Entry(0xb, 1, eax: 9, ebx: 9, ecx: 9, edx: 9),
        Entry(0xb, 2, eax: 9, ebx: 9, ecx: 9, edx: 9),
        Entry(0x8000_0008, ecx: 0x0000_70ff),
    ];

    private static kvm_cpuid_entry2 Leaf(kvm_cpuid_entry2[] entries, uint function, uint index = 0) =>
        entries.Single(e => e.function == function && e.index == index);

    [Theory]
    [InlineData(0u, 1)]
    [InlineData(3u, 4)]
    [InlineData(254u, 255)]
    public void Leaf_1_EBX_carries_the_APIC_ID_and_the_vCPU_count(uint apicId, int count)
    {
        var ebx = Leaf(CpuidNormalizer.ForVcpu(Template, apicId, count), 1).ebx;
        Assert.Equal(apicId, ebx >> 24);
        Assert.Equal((uint)count, (ebx >> 16) & 0xff);
        Assert.Equal(8u, (ebx >> 8) & 0xff); // CLFLUSH: 64 bytes
        Assert.Equal(0x5du, ebx & 0xff);      // brand index kept
    }

    [Fact]
    public void Leaf_1_sets_the_hypervisor_bit_and_keeps_other_feature_bits()
    {
        var leaf1 = Leaf(CpuidNormalizer.ForVcpu(Template, 0, 1), 1);
        Assert.Equal(Hypervisor, leaf1.ecx & Hypervisor);
        Assert.Equal(0x7ffa_3203u, leaf1.ecx & ~Hypervisor);
        Assert.Equal(0x000906eau, leaf1.eax);
    }

    [Fact]
    public void HTT_is_set_only_with_more_than_one_vCPU()
    {
        Assert.Equal(0u, Leaf(CpuidNormalizer.ForVcpu(Template, 0, 1), 1).edx & Htt);
        Assert.Equal(Htt, Leaf(CpuidNormalizer.ForVcpu(Template, 0, 2), 1).edx & Htt);
    }

    [Theory]
    [InlineData(1, 0u)]
    [InlineData(2, 1u)]
    [InlineData(3, 2u)]
    [InlineData(4, 2u)]
    [InlineData(5, 3u)]
    public void Leaf_0xB_describes_one_thread_per_core_and_all_vCPUs_in_the_core_level(int count, uint coreShift)
    {
        var result = CpuidNormalizer.ForVcpu(Template, 2, count);

        var smt = Leaf(result, 0xb, 0);
        Assert.Equal((0u, 1u, 0x100u, 2u), (smt.eax, smt.ebx, smt.ecx, smt.edx));

        var core = Leaf(result, 0xb, 1);
        Assert.Equal((coreShift, (uint)count, 0x201u, 2u), (core.eax, core.ebx, core.ecx, core.edx));

        var invalid = Leaf(result, 0xb, 2);
        Assert.Equal((0u, 0u, 2u, 2u), (invalid.eax, invalid.ebx, invalid.ecx, invalid.edx));
    }

    [Fact]
    public void Leaf_4_reports_cores_per_package_and_sharing_of_the_last_level_cache()
    {
        var result = CpuidNormalizer.ForVcpu(Template, 0, 4);
        var l1 = Leaf(result, 4, 0);
        var l3 = Leaf(result, 4, 3);
        Assert.Equal(3u, l1.eax >> 26);
        Assert.Equal(0u, (l1.eax >> 14) & 0xfff);
        Assert.Equal(3u, (l3.eax >> 14) & 0xfff);
        Assert.Equal(0x0163u, l3.eax & 0x3fff);
    }

    [Fact]
    public void Leaf_0x80000008_reports_the_core_count_minus_one()
    {
        var ecx = Leaf(CpuidNormalizer.ForVcpu(Template, 0, 8), 0x8000_0008).ecx;
        Assert.Equal(7u, ecx & 0xff);
        Assert.Equal(0x7000u, ecx & ~0xffu);
    }

    [Fact]
    public void Each_vCPU_gets_its_own_table_and_the_template_is_not_modified()
    {
        var a = CpuidNormalizer.ForVcpu(Template, 0, 2);
        var b = CpuidNormalizer.ForVcpu(Template, 1, 2);
        Assert.Equal(0u, Leaf(a, 1).ebx >> 24);
        Assert.Equal(1u, Leaf(b, 1).ebx >> 24);
        Assert.Equal(0xaabb_cc5du, Template[1].ebx);
        Assert.Equal(Template.Length, a.Length);
        Assert.Equal(Template[0], a[0]);
    }
}
