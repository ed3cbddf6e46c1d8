using System.CommandLine;
using SharpVirt.Boot;
using SharpVirt.Contracts;
using SharpVirt.Vmm;

namespace SharpVirt.Cli;

/// <summary><c>sharpvirt run</c>: boots one VM with its serial console on this terminal.</summary>
public static class RunCommand
{
    private static readonly Option<string?> KernelOption = new("--kernel") { Description = "Kernel: a bzImage or an uncompressed ELF vmlinux (default: the default guest)" };
    private static readonly Option<string?> InitrdOption = new("--initrd") { Description = "Initramfs or initrd image" };
    private static readonly Option<string?> CmdlineOption = new("--cmdline", "--append") { Description = $"Kernel command line (default: \"{KernelCmdline.Default}\")" };
    private static readonly Option<int?> CpusOption = new("--cpus", "--smp") { Description = "Number of vCPUs (default 1)" };
    private static readonly Option<string?> MemoryOption = new("--memory", "-m") { Description = "Guest memory: 512M, 2G, or MiB (default 256M)" };
    private static readonly Option<string?> TemplateOption = new("--cpu-template") { Description = "CPU template (see 'sharpvirt cpu-templates'; default compat)" };
    private static readonly Option<string?> RebootOption = new("--on-reboot") { Description = "What a guest reboot does: restart (default) or exit" };
    private static readonly Option<string?> ConfigOption = new("--config") { Description = "A JSON VM config file; options given here override it" };

    /// <summary>--api-socket: also serve the REST API on this Unix socket.</summary>
    internal static readonly Option<string?> ApiSocketOption = new("--api-socket") { Description = "Serve the REST API on this Unix socket (see GET /openapi.yaml)" };

    /// <summary>--id: the instance's name in the API.</summary>
    internal static readonly Option<string?> IdOption = new("--id") { Description = "The instance's name in the API (default: the process id)" };

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var command = new Command("run", "Boot a VM; this terminal becomes its serial console (Ctrl-A x quits).")
        {
            KernelOption, InitrdOption, CmdlineOption, CpusOption, MemoryOption, TemplateOption, RebootOption, ConfigOption,
            ApiSocketOption, IdOption,
        };
        foreach (var option in DeviceOptions.All)
        {
            command.Options.Add(option);
        }

        command.SetAction(parse => Run(parse));
        return command;
    }

    private static int Run(ParseResult parse)
    {
        VmConfig config;
        VmSpec spec;
        try
        {
            config = BuildConfig(parse);
            spec = VmSpecFactory.Create(config);
        }
        catch (ConfigException e)
        {
            return Fail(e.Message);
        }

        return VmmHost.Run(parse.GetValue(IdOption) ?? Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            (config, spec), parse.GetValue(ApiSocketOption));
    }

    private static VmConfig BuildConfig(ParseResult parse)
    {
        var file = parse.GetValue(ConfigOption) is { } path ? ConfigFile.Load(path) : null;
        var kernel = parse.GetValue(KernelOption) ?? file?.BootSource.KernelImagePath ?? DefaultGuest.Kernel
            ?? throw new ConfigException("--kernel",
                $"no kernel given and no default guest in {DefaultGuest.Directory} (build it with ./sharpvirt setup, or pass --kernel)");
        var usingDefaultGuest = parse.GetValue(KernelOption) is null && file is null;
        var initrd = parse.GetValue(InitrdOption) ?? file?.BootSource.InitrdPath ?? (usingDefaultGuest ? DefaultGuest.Initrd : null);

        var machine = file?.Machine ?? new MachineConfig();
        if (parse.GetValue(CpusOption) is { } cpus)
        {
            machine = machine with { VcpuCount = cpus };
        }

        if (parse.GetValue(MemoryOption) is { } memoryText)
        {
            var mib = SizeParser.ParseMib(memoryText, out var error) ?? throw new ConfigException("--memory", error!);
            machine = machine with { MemSizeMib = mib };
        }

        if (parse.GetValue(TemplateOption) is { } template)
        {
            machine = machine with { CpuTemplate = template };
        }

        if (parse.GetValue(RebootOption) is { } reboot)
        {
            machine = machine with
            {
                OnReboot = reboot switch
                {
                    "restart" => RebootAction.Restart,
                    "exit" => RebootAction.Exit,
                    _ => throw new ConfigException("--on-reboot", $"'{reboot}': use restart or exit"),
                },
            };
        }

        var boot = new BootSourceConfig
        {
            KernelImagePath = kernel,
            InitrdPath = initrd,
            BootArgs = parse.GetValue(CmdlineOption) ?? file?.BootSource.BootArgs,
        };
        // The file's devices stay unless the command line names that kind of device.
        var config = file is null ? new VmConfig { BootSource = boot, Machine = machine } : file with { BootSource = boot, Machine = machine };
        return DeviceOptions.Apply(parse, config);
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"sharpvirt: {message}");
        return 1;
    }
}
