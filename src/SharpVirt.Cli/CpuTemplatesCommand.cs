using System.CommandLine;
using SharpVirt.Interop.Kvm;
using SharpVirt.Vmm.Cpu;

namespace SharpVirt.Cli;

/// <summary><c>sharpvirt cpu-templates [--show NAME]</c>: lists the CPU templates, or the CPUID table one gives on this host.</summary>
public static class CpuTemplatesCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var show = new Option<string?>("--show") { Description = "Print the CPUID leaves this template presents to vCPU 0 on this host" };
        var command = new Command("cpu-templates", "List the CPU templates (--cpu-template).") { show };
        command.SetAction(parse =>
        {
            if (parse.GetValue(show) is not { } name)
            {
                foreach (var t in CpuTemplate.All)
                {
                    Console.WriteLine($"{t.Name,-10} {t.Description}");
                }

                return 0;
            }

            if (CpuTemplate.Find(name) is not { } template)
            {
                Console.Error.WriteLine($"sharpvirt: --show: unknown template '{name}'");
                return 1;
            }

            using var kvm = KvmSystem.Open();
            Console.WriteLine("leaf     index    eax      ebx      ecx      edx");
            foreach (var e in CpuidNormalizer.ForVcpu(template.Apply(kvm.GetSupportedCpuid()), 0, 1))
            {
                Console.WriteLine($"{e.function:x8} {e.index:x8} {e.eax:x8} {e.ebx:x8} {e.ecx:x8} {e.edx:x8}");
            }

            return 0;
        });
        return command;
    }
}
