using System.CommandLine;
using System.Text.Json;
using SharpVirt.Contracts;
using SharpVirt.Contracts.Manager;

namespace SharpVirt.Cli.Manager;

/// <summary>
/// <c>sharpvirt define NAME [VM options]</c>: stores a VM in sharpvirtd without starting it. It takes the options of
/// <c>sharpvirt run</c> (or a <c>--config</c> file under them); file paths are made absolute here, since the daemon
/// and its VMMs do not run in this directory.
/// </summary>
internal static class DefineVerb
{
    private static readonly Option<bool> AutostartOption = new("--autostart") { Description = "Start the VM whenever sharpvirtd starts (once per host boot)" };

    private static readonly Option<string?> RestartOption = new("--restart-policy")
    {
        Description = "When its VMM ends on its own: no (default), on-failure (a panic, an error, a killed VMM) or always",
    };

    public static Command Create()
    {
        var name = new Argument<string>("NAME") { Description = "The VM's name: lower-case letters, digits, '-', '_' and '.'" };
        var verb = new Command("define", "Define a VM in sharpvirtd (not started); takes the options of 'sharpvirt run'")
        {
            name, DaemonConnection.ConnectOption, DaemonConnection.OutputOption, AutostartOption, RestartOption,
        };
        VmOptions.AddTo(verb);
        verb.SetAction(parse =>
        {
            VmDefinition definition;
            try
            {
                definition = new VmDefinition
                {
                    Name = parse.GetValue(name)!,
                    Config = Absolute(VmOptions.BuildConfig(parse)),
                    Autostart = parse.GetValue(AutostartOption),
                    RestartPolicy = parse.GetValue(RestartOption) is { } policy ? ParsePolicy(policy) : RestartPolicy.No,
                };
            }
            catch (ConfigException e)
            {
                Console.Error.WriteLine($"sharpvirt: {e.Message}");
                return 1;
            }

            return DaemonConnection.Call(parse, client =>
            {
                var answer = client.Send(HttpMethod.Post, "/v1/vms", JsonSerializer.Serialize(definition, ManagerJsonContext.Default.VmDefinition));
                return DaemonConnection.Report(parse, answer, ManagerJsonContext.Default.VmStatus,
                    vm => $"{vm.Name}: defined ({vm.Vcpus} vCPU, {vm.MemoryMib} MiB); start it with: sharpvirt start {vm.Name}\n");
            });
        });
        return verb;
    }

    private static RestartPolicy ParsePolicy(string text) => text switch
    {
        "no" => RestartPolicy.No,
        "on-failure" => RestartPolicy.OnFailure,
        "always" => RestartPolicy.Always,
        _ => throw new ConfigException("--restart-policy", $"'{text}': use no, on-failure or always"),
    };

    /// <summary>The config with every host path made absolute against this directory.</summary>
    private static VmConfig Absolute(VmConfig config) => config with
    {
        BootSource = config.BootSource with
        {
            KernelImagePath = Path.GetFullPath(config.BootSource.KernelImagePath),
            InitrdPath = config.BootSource.InitrdPath is { } initrd ? Path.GetFullPath(initrd) : null,
        },
        Drives = [.. config.Drives.Select(d => d with { PathOnHost = Path.GetFullPath(d.PathOnHost) })],
        Vsock = config.Vsock is { } vsock ? vsock with { UdsPath = Path.GetFullPath(vsock.UdsPath) } : null,
        Console = config.Console is { } console ? console with
        {
            SocketPath = console.SocketPath is { } s ? Path.GetFullPath(s) : null,
            OutputPath = console.OutputPath is { } o ? Path.GetFullPath(o) : null,
        } : null,
    };
}
