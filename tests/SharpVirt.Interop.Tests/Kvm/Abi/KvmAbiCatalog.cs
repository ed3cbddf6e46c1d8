using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using SharpVirt.Interop.Kvm.Abi;

namespace SharpVirt.Interop.Tests.Kvm.Abi;

/// <summary>
/// What the ABI test compares: every kernel struct, ioctl number and constant the C# side declares, found by reflection
/// so that a struct or ioctl added later is checked without anyone editing this file.
/// </summary>
internal static class KvmAbiCatalog
{
    private const string UnionPiecePrefix = "kvm_run_";

    // kvm_vcpu_events nests small structs (exception, interrupt, nmi, smi, triple_fault); C# flattens them as exception_injected etc.
    private static readonly string[] VcpuEventsGroups = ["exception", "interrupt", "nmi", "smi", "triple_fault"];

    // kvm_vcpu_events members that merely start with a group name but sit at the top level in C.
    private static readonly string[] VcpuEventsTopLevel = ["exception_has_payload", "exception_payload"];

    /// <summary>KvmConst names do not follow one pattern, so each is mapped to its macro by hand.</summary>
    public static readonly IReadOnlyDictionary<string, string> KvmConstMacros = new Dictionary<string, string>
    {
        [nameof(KvmConst.ApiVersion)] = "KVM_API_VERSION",
        [nameof(KvmConst.IoIn)] = "KVM_EXIT_IO_IN",
        [nameof(KvmConst.IoOut)] = "KVM_EXIT_IO_OUT",
        [nameof(KvmConst.InternalErrorEmulation)] = "KVM_INTERNAL_ERROR_EMULATION",
        [nameof(KvmConst.InternalErrorSimulEx)] = "KVM_INTERNAL_ERROR_SIMUL_EX",
        [nameof(KvmConst.InternalErrorDeliveryEv)] = "KVM_INTERNAL_ERROR_DELIVERY_EV",
        [nameof(KvmConst.SystemEventShutdown)] = "KVM_SYSTEM_EVENT_SHUTDOWN",
        [nameof(KvmConst.SystemEventReset)] = "KVM_SYSTEM_EVENT_RESET",
        [nameof(KvmConst.SystemEventCrash)] = "KVM_SYSTEM_EVENT_CRASH",
        [nameof(KvmConst.PitSpeakerDummy)] = "KVM_PIT_SPEAKER_DUMMY",
        [nameof(KvmConst.VcpuEventsValidNmiPending)] = "KVM_VCPUEVENT_VALID_NMI_PENDING",
        // The kernel's own spelling.
        [nameof(KvmConst.CpuidFlagSignificantIndex)] = "KVM_CPUID_FLAG_SIGNIFCANT_INDEX",
        [nameof(KvmConst.IoeventfdFlagDatamatch)] = "KVM_IOEVENTFD_FLAG_DATAMATCH",
        [nameof(KvmConst.IoeventfdFlagPio)] = "KVM_IOEVENTFD_FLAG_PIO",
        [nameof(KvmConst.MemLogDirtyPages)] = "KVM_MEM_LOG_DIRTY_PAGES",
    };

    /// <summary>Every kernel struct declared in SharpVirt.Interop.Kvm.Abi (fixed-buffer helper types excluded).</summary>
    public static IReadOnlyList<Type> Structs { get; } = typeof(kvm_regs).Assembly.GetTypes()
        .Where(t => t is { IsValueType: true, IsEnum: false, IsNested: false } &&
                    t.Namespace == typeof(kvm_regs).Namespace &&
                    t.Name.StartsWith("kvm_", StringComparison.Ordinal))
        .OrderBy(t => t.Name, StringComparer.Ordinal)
        .ToArray();

    /// <summary>The public instance fields of a struct, in declaration order.</summary>
    public static IReadOnlyList<FieldInfo> Fields(Type type) =>
        type.GetFields(BindingFlags.Public | BindingFlags.Instance).OrderBy(f => f.MetadataToken).ToArray();

    /// <summary>For kvm_run_io and friends: the member of kvm_run's exit union they describe ("io"); otherwise null.</summary>
    public static string? UnionMember(Type type) =>
        type.Name.StartsWith(UnionPiecePrefix, StringComparison.Ordinal) ? type.Name[UnionPiecePrefix.Length..] : null;

    /// <summary>The C member designator of a C# field, e.g. exception_injected → exception.injected, padding1_3 → padding1[3].</summary>
    public static string CMember(string structName, string field)
    {
        if (structName == "kvm_vcpu_events" && !VcpuEventsTopLevel.Contains(field))
        {
            foreach (var group in VcpuEventsGroups)
            {
                if (field.StartsWith(group + "_", StringComparison.Ordinal))
                {
                    return $"{group}.{field[(group.Length + 1)..]}";
                }
            }
        }

        if (structName == "kvm_run" && field.StartsWith("padding1_", StringComparison.Ordinal))
        {
            return $"padding1[{field["padding1_".Length..]}]";
        }

        return field;
    }

    /// <summary>KvmIoctls fields and their macros: GetVcpuEvents → KVM_GET_VCPU_EVENTS.</summary>
    public static IReadOnlyList<(string Field, string Macro)> Ioctls { get; } = typeof(KvmIoctls)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.FieldType == typeof(nuint))
        .Select(f => (f.Name, "KVM_" + ToMacroCase(f.Name)))
        .ToArray();

    /// <summary>Every constant with its C# value: KvmExitReason, KvmCap and KvmConst members.</summary>
    public static IReadOnlyList<(string Name, string Macro, long Value)> Constants { get; } =
    [
        .. Enum.GetValues<KvmExitReason>().Select(v => ($"{nameof(KvmExitReason)}.{v}", "KVM_EXIT_" + ToMacroCase(v.ToString()), (long)v)),
        .. Enum.GetValues<KvmCap>().Select(v => ($"{nameof(KvmCap)}.{v}", "KVM_CAP_" + ToMacroCase(v.ToString()), (long)v)),
        .. typeof(KvmConst).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && KvmConstMacros.ContainsKey(f.Name))
            .Select(f => ($"{nameof(KvmConst)}.{f.Name}", KvmConstMacros[f.Name], Convert.ToInt64(f.GetRawConstantValue()))),
    ];

    /// <summary>The public constants of KvmConst (to check that each has a macro in <see cref="KvmConstMacros"/>).</summary>
    public static IEnumerable<string> KvmConstNames =>
        typeof(KvmConst).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).Select(f => f.Name);

    /// <summary>Unsafe.SizeOf&lt;T&gt;() for a runtime type: the managed size the ioctl encoding uses.</summary>
    public static int ManagedSize(Type type) =>
        (int)typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(type).Invoke(null, null)!;

    /// <summary>The size of one field's type (a fixed buffer counts in full).</summary>
    public static int FieldSize(FieldInfo field) => Marshal.SizeOf(field.FieldType);

    /// <summary>PascalCase to MACRO_CASE: SetUserMemoryRegion → SET_USER_MEMORY_REGION, CreatePit2 → CREATE_PIT2.</summary>
    public static string ToMacroCase(string name)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < name.Length; i++)
        {
            if (i > 0 && char.IsUpper(name[i]))
            {
                sb.Append('_');
            }

            sb.Append(char.ToUpperInvariant(name[i]));
        }

        return sb.ToString();
    }
}
