using System.CommandLine;
using System.Globalization;
using SharpVirt.Contracts;
using SharpVirt.Vmm;

namespace SharpVirt.Cli;

/// <summary>
/// <c>sharpvirt vmm</c>: one VMM driven by its REST API (as <c>firecracker --api-sock</c>): it waits for its
/// configuration and the start action, unless a config file is given, which boots at once.
/// </summary>
public static class VmmCommand
{
    private static readonly Option<string?> ApiSocketOption = new("--api-socket", "--api-sock")
    {
        Description = "The Unix socket the REST API listens on (optional with --config or --restore)",
    };

    private static readonly Option<string?> ConfigOption = new("--config", "--config-file") { Description = "A JSON VM config file to boot at once" };

    private static readonly Option<string?> RestoreOption = new("--restore") { Description = "A snapshot directory (sharpvirt vm snapshot --to DIR): the guest continues where it was" };

    private static readonly Option<string?> IncomingOption = new("--incoming")
    {
        Description = "Wait for a guest sent live by another VMM (sharpvirt vm migrate --to tcp:HOST:PORT): listen on tcp:HOST:PORT",
    };

    private static readonly Option<string?> ExitReportOption = new("--exit-report")
    {
        Description = "Write how the guest ended to this file as JSON on exit (outcome, message, exit_code), for a supervisor",
    };

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var command = new Command("vmm", "Run one VMM controlled over its REST API (PUT the config, then PUT /actions {\"action\":\"start\"}).")
        {
            ApiSocketOption, ConfigOption, RestoreOption, IncomingOption, RunCommand.IdOption, ExitReportOption,
        };
        command.SetAction(parse =>
        {
            (VmConfig, VmSpec)? boot = null;
            if (parse.GetValue(ConfigOption) is { } path)
            {
                try
                {
                    var config = ConfigFile.Load(path);
                    boot = (config, VmSpecFactory.Create(config));
                }
                catch (ConfigException e)
                {
                    Console.Error.WriteLine($"sharpvirt: {e.Message}");
                    ExitReportFile.Write(parse.GetValue(ExitReportOption), "error", e.Message, 1);
                    return 1;
                }
            }

            var restore = parse.GetValue(RestoreOption);
            var incoming = parse.GetValue(IncomingOption);
            if (parse.GetValue(ApiSocketOption) is null && boot is null && restore is null && incoming is null)
            {
                Console.Error.WriteLine("sharpvirt: --api-socket: needed to configure the VM, unless --config, --restore or --incoming gives it");
                return 1;
            }

            if ((boot is null ? 0 : 1) + (restore is null ? 0 : 1) + (incoming is null ? 0 : 1) > 1)
            {
                Console.Error.WriteLine($"sharpvirt: {(incoming is null ? "--restore" : "--incoming")}: give one of --config, --restore and --incoming");
                return 1;
            }

            var id = parse.GetValue(RunCommand.IdOption) ?? Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
            var source = restore is not null ? new VmmHost.Source(restore, Incoming: false)
                : incoming is not null ? new VmmHost.Source(incoming, Incoming: true)
                : null;
            return VmmHost.Run(id, boot, parse.GetValue(ApiSocketOption), source, parse.GetValue(ExitReportOption));
        });
        return command;
    }
}
