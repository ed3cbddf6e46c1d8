using System.CommandLine;
using SharpVirt.Boot;
using SharpVirt.Contracts;

namespace SharpVirt.Cli;

/// <summary>
/// The options that describe a VM (kernel, CPUs, memory, devices, a config file under them), shared by
/// <c>sharpvirt run</c>, which boots it, and <c>sharpvirt define</c>, which stores it in sharpvirtd.
/// </summary>
internal static class VmOptions
{
    private static readonly Option<string?> KernelOption = new("--kernel") { Description = "Kernel: a bzImage or an uncompressed ELF vmlinux (default: the default guest)" };
    private static readonly Option<string?> InitrdOption = new("--initrd") { Description = "Initramfs or initrd image" };
    private static readonly Option<string?> CmdlineOption = new("--cmdline", "--append") { Description = $"Kernel command line (default: \"{KernelCmdline.Default}\")" };
    private static readonly Option<int?> CpusOption = new("--cpus", "--smp") { Description = "Number of vCPUs (default 1)" };
    private static readonly Option<string?> MemoryOption = new("--memory", "-m") { Description = "Guest memory: 512M, 2G, or MiB (default 256M)" };
    private static readonly Option<string?> TemplateOption = new("--cpu-template") { Description = "CPU template (see 'sharpvirt cpu-templates'; default compat)" };
    private static readonly Option<string?> RebootOption = new("--on-reboot") { Description = "What a guest reboot does: restart (default) or exit" };
    private static readonly Option<string?> ConfigOption = new("--config") { Description = "A JSON VM config file; options given here override it" };

    /// <summary>Adds every VM option, the device options among them, to <paramref name="command"/>.</summary>
    internal static void AddTo(Command command)
    {
        foreach (var option in (Option[])[KernelOption, InitrdOption, CmdlineOption, CpusOption, MemoryOption, TemplateOption, RebootOption, ConfigOption])
        {
            command.Options.Add(option);
        }

        foreach (var option in DeviceOptions.All)
        {
            command.Options.Add(option);
        }
    }

    /// <summary>The VM config the options give (over the --config file's, when one is given).</summary>
    internal static VmConfig BuildConfig(ParseResult parse)
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
}
