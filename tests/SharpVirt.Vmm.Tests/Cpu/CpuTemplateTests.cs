using SharpVirt.Interop.Kvm.Abi;
using SharpVirt.Vmm.Cpu;

namespace SharpVirt.Vmm.Tests.Cpu;

public sealed class CpuTemplateTests
{
    private const uint Cx16 = 1u << 13;
    private const uint Xsave = 1u << 26;
    private const uint Sse3 = 1u << 0;
    private const uint Hypervisor = 1u << 31;

    private static kvm_cpuid_entry2 Entry(uint function, uint index = 0, uint eax = 0, uint ebx = 0, uint ecx = 0, uint edx = 0) =>
        new() { function = function, index = index, eax = eax, ebx = ebx, ecx = ecx, edx = edx };

    private static kvm_cpuid_entry2[] HostLike() =>
    [
        Entry(0, eax: 0xd, ebx: 0x756e6547, ecx: 0x6c65746e, edx: 0x49656e69),
        Entry(1, eax: 0x000906ea, ebx: 0x00100800, ecx: uint.MaxValue, edx: 0xbfebfbff),
        Entry(7, 0, ebx: uint.MaxValue, ecx: uint.MaxValue, edx: uint.MaxValue),
        Entry(7, 1, eax: uint.MaxValue),
        Entry(0xd, 0, eax: 0x7, ebx: 0x340),
        Entry(0xd, 1, eax: 0xf),
        Entry(0x8000_0001, ecx: 0x121, edx: 0x2c100800),
    ];

    [Fact]
    public void Compat_clears_CX16_and_XSAVE_in_leaf_1_ECX_and_keeps_the_other_bits()
    {
        var leaf1 = CpuTemplate.Compat.Apply(HostLike()).Single(e => e.function == 1);

        Assert.Equal(0u, leaf1.ecx & Cx16);
        Assert.Equal(0u, leaf1.ecx & Xsave);
        Assert.Equal(Sse3, leaf1.ecx & Sse3);
        Assert.Equal(Hypervisor, leaf1.ecx & Hypervisor);
        Assert.Equal(0xbfebfbffu, leaf1.edx);
        Assert.Equal(0x000906eau, leaf1.eax);
    }

    [Fact]
    public void Compat_also_hides_AVX_which_needs_XSAVE()
    {
        var result = CpuTemplate.Compat.Apply(HostLike());
        Assert.Equal(0u, result.Single(e => e.function == 1).ecx & (1u << 28));
        Assert.Equal(0u, result.Single(e => e.function == 7 && e.index == 0).ebx & (1u << 5)); // AVX2
        Assert.Equal(0u, result.Single(e => e.function == 7 && e.index == 1).eax & (1u << 4)); // AVX-VNNI
    }

    [Fact]
    public void Compat_drops_leaf_0xD_entirely()
    {
        var result = CpuTemplate.Compat.Apply(HostLike());
        Assert.DoesNotContain(result, e => e.function == 0xd);
        Assert.Equal(HostLike().Length - 2, result.Length);
    }

    [Fact]
    public void Compat_leaves_unrelated_leaves_and_their_order_unchanged()
    {
        var input = HostLike();
        var result = CpuTemplate.Compat.Apply(input);

        Assert.Equal(input[0], result[0]);
        Assert.Equal(input[^1], result[^1]);
        Assert.Equal([0u, 1u, 7u, 7u, 0x8000_0001u], result.Select(e => e.function));
    }

    [Fact]
    public void A_subleaf_mask_applies_only_to_its_subleaf()
    {
        var input = new[] { Entry(7, 2, eax: uint.MaxValue, ebx: uint.MaxValue, ecx: uint.MaxValue, edx: uint.MaxValue) };
        Assert.Equal(input[0], CpuTemplate.Compat.Apply(input)[0]);
    }

    [Fact]
    public void Host_changes_nothing()
    {
        var input = HostLike();
        Assert.Equal(input, CpuTemplate.Host.Apply(input));
    }

    [Fact]
    public void Apply_does_not_modify_its_input()
    {
        var input = HostLike();
        _ = CpuTemplate.Compat.Apply(input);
        Assert.Equal(uint.MaxValue, input[1].ecx);
    }

    [Theory]
    [InlineData("compat")]
    [InlineData("COMPAT")]
    [InlineData("Compat")]
    public void Find_is_case_insensitive(string name) => Assert.Same(CpuTemplate.Compat, CpuTemplate.Find(name));

    [Theory]
    [InlineData("skylake")]
    [InlineData("")]
    [InlineData("host ")]
    public void Find_returns_null_for_unknown_names(string name) => Assert.Null(CpuTemplate.Find(name));

    [Fact]
    public void Both_templates_are_listed()
    {
        Assert.Contains(CpuTemplate.Host, CpuTemplate.All);
        Assert.Contains(CpuTemplate.Compat, CpuTemplate.All);
        Assert.Same(CpuTemplate.Host, CpuTemplate.Find("HOST"));
    }
}
