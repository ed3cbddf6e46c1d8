using System.Globalization;
using System.Runtime.InteropServices;
using SharpVirt.Interop.Kvm.Abi;

namespace SharpVirt.Interop.Tests.Kvm.Abi;

/// <summary>
/// Compares each kernel struct, ioctl number and constant declared in C# with &lt;linux/kvm.h&gt;, as compiled by gcc.
/// Needs gcc and linux-libc-dev, not /dev/kvm.
/// </summary>
public sealed class AbiLayoutTests
{
    public static TheoryData<string> StructNames => [.. KvmAbiCatalog.Structs.Select(t => t.Name)];

    public static TheoryData<string> ExitUnionPieceNames =>
        [.. KvmAbiCatalog.Structs.Where(t => KvmAbiCatalog.UnionMember(t) is not null).Select(t => t.Name)];

    public static TheoryData<string> IoctlFields => [.. KvmAbiCatalog.Ioctls.Select(i => i.Field)];

    public static TheoryData<string> ConstantNames => [.. KvmAbiCatalog.Constants.Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(StructNames))]
    public void Struct_size_and_field_offsets_match_linux_kvm_h(string structName)
    {
        var probe = KvmHeaderProbe.Instance;
        var type = KvmAbiCatalog.Structs.Single(t => t.Name == structName);
        var mismatches = new List<string>();

        var cSize = probe.Size(structName);
        if ((ulong)KvmAbiCatalog.ManagedSize(type) != cSize)
        {
            mismatches.Add($"Unsafe.SizeOf<{structName}>() is {KvmAbiCatalog.ManagedSize(type)}, C says {cSize}");
        }

        if ((ulong)Marshal.SizeOf(type) != cSize)
        {
            mismatches.Add($"Marshal.SizeOf({structName}) is {Marshal.SizeOf(type)}, C says {cSize}");
        }

        foreach (var field in KvmAbiCatalog.Fields(type))
        {
            var (cOffset, cFieldSize) = probe.Field(structName, field.Name);
            var offset = (ulong)Marshal.OffsetOf(type, field.Name);
            if (offset != cOffset)
            {
                mismatches.Add($"{structName}.{field.Name} is at offset {offset}, C puts {KvmAbiCatalog.CMember(structName, field.Name)} at {cOffset}");
            }

            if ((ulong)KvmAbiCatalog.FieldSize(field) != cFieldSize)
            {
                mismatches.Add($"{structName}.{field.Name} is {KvmAbiCatalog.FieldSize(field)} bytes, C says {cFieldSize}");
            }
        }

        Assert.True(mismatches.Count == 0, string.Join('\n', mismatches));
    }

    [Theory]
    [MemberData(nameof(ExitUnionPieceNames))]
    public void Each_exit_union_piece_starts_where_the_kvm_run_head_ends(string structName)
    {
        Assert.Equal((ulong)KvmRun.ExitUnionOffset, KvmHeaderProbe.Instance.UnionOffset(structName));
    }

    [Fact]
    public void The_exit_union_starts_at_offset_32_after_the_kvm_run_head()
    {
        Assert.Equal(32, KvmRun.ExitUnionOffset);
        Assert.Equal((ulong)KvmRun.ExitUnionOffset, KvmHeaderProbe.Instance.UnionOffset("kvm_run"));
        Assert.Equal(KvmRun.ExitUnionOffset, System.Runtime.CompilerServices.Unsafe.SizeOf<kvm_run>());
    }

    [Theory]
    [MemberData(nameof(IoctlFields))]
    public void Ioctl_number_matches_linux_kvm_h(string field)
    {
        var macro = KvmAbiCatalog.Ioctls.Single(i => i.Field == field).Macro;
        var expected = KvmHeaderProbe.Instance.Macro(macro);
        Assert.True(expected is not null, $"<linux/kvm.h> defines no {macro} (for KvmIoctls.{field})");
        var actual = (ulong)(nuint)typeof(KvmIoctls).GetField(field)!.GetValue(null)!;
        Assert.True(ulong.Parse(expected, CultureInfo.InvariantCulture) == actual,
            $"KvmIoctls.{field} is 0x{actual:x}; {macro} is 0x{ulong.Parse(expected, CultureInfo.InvariantCulture):x}");
    }

    [Theory]
    [MemberData(nameof(ConstantNames))]
    public void Constant_matches_linux_kvm_h(string name)
    {
        var (_, macro, value) = KvmAbiCatalog.Constants.Single(c => c.Name == name);
        var expected = KvmHeaderProbe.Instance.Macro(macro);
        Assert.True(expected is not null, $"<linux/kvm.h> defines no {macro} (for {name})");
        Assert.True(long.Parse(expected, CultureInfo.InvariantCulture) == value, $"{name} is {value}; {macro} is {expected}");
    }

    [Fact]
    public void Every_KvmConst_constant_has_a_kernel_macro_to_compare_with() =>
        Assert.DoesNotContain(KvmAbiCatalog.KvmConstNames, n => !KvmAbiCatalog.KvmConstMacros.ContainsKey(n));

    [Fact]
    public void The_catalog_finds_the_structs_the_VMM_passes_to_the_kernel()
    {
        var names = KvmAbiCatalog.Structs.Select(t => t.Name).ToHashSet();
        foreach (var expected in new[] { "kvm_regs", "kvm_sregs", "kvm_vcpu_events", "kvm_run", "kvm_run_io", "kvm_run_mmio", "kvm_cpuid_entry2" })
        {
            Assert.Contains(expected, names);
        }

        Assert.DoesNotContain(names, n => n.Contains("FixedBuffer", StringComparison.Ordinal));
        Assert.True(KvmAbiCatalog.Ioctls.Count >= 30, $"only {KvmAbiCatalog.Ioctls.Count} ioctls found by reflection");
    }

    [Theory]
    [InlineData("kvm_vcpu_events", "exception_injected", "exception.injected")]
    [InlineData("kvm_vcpu_events", "smi_smm_inside_nmi", "smi.smm_inside_nmi")]
    [InlineData("kvm_vcpu_events", "triple_fault_pending", "triple_fault.pending")]
    [InlineData("kvm_vcpu_events", "exception_payload", "exception_payload")]
    [InlineData("kvm_vcpu_events", "exception_has_payload", "exception_has_payload")]
    [InlineData("kvm_vcpu_events", "sipi_vector", "sipi_vector")]
    [InlineData("kvm_run", "padding1_5", "padding1[5]")]
    [InlineData("kvm_regs", "rip", "rip")]
    public void Flattened_CSharp_field_names_map_to_the_kernel_member(string structName, string field, string expected) =>
        Assert.Equal(expected, KvmAbiCatalog.CMember(structName, field));

    [Theory]
    [InlineData("GetVcpuEvents", "GET_VCPU_EVENTS")]
    [InlineData("CreatePit2", "CREATE_PIT2")]
    [InlineData("Irqfd", "IRQFD")]
    [InlineData("IrqWindowOpen", "IRQ_WINDOW_OPEN")]
    public void PascalCase_names_become_kernel_macro_names(string name, string expected) =>
        Assert.Equal(expected, KvmAbiCatalog.ToMacroCase(name));
}
