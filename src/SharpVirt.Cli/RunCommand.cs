using System.CommandLine;
using SharpVirt.Contracts;
using SharpVirt.Vmm;

namespace SharpVirt.Cli;

/// <summary><c>sharpvirt run</c>: boots one VM with its serial console on this terminal.</summary>
public static class RunCommand
{
    /// <summary>--api-socket: also serve the REST API on this Unix socket.</summary>
    internal static readonly Option<string?> ApiSocketOption = new("--api-socket") { Description = "Serve the REST API on this Unix socket (see GET /openapi.yaml)" };

    /// <summary>--id: the instance's name in the API.</summary>
    internal static readonly Option<string?> IdOption = new("--id") { Description = "The instance's name in the API (default: the process id)" };

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var command = new Command("run", "Boot a VM; this terminal becomes its serial console (Ctrl-A x quits).");
        VmOptions.AddTo(command);
        command.Options.Add(ApiSocketOption);
        command.Options.Add(IdOption);
        command.SetAction(parse => Run(parse));
        return command;
    }

    private static int Run(ParseResult parse)
    {
        VmConfig config;
        VmSpec spec;
        try
        {
            config = VmOptions.BuildConfig(parse);
            spec = VmSpecFactory.Create(config);
        }
        catch (ConfigException e)
        {
            return Fail(e.Message);
        }

        return VmmHost.Run(parse.GetValue(IdOption) ?? Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            (config, spec), parse.GetValue(ApiSocketOption));
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"sharpvirt: {message}");
        return 1;
    }
}
