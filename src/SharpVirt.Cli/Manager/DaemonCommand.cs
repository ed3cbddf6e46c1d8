using System.CommandLine;
using System.Runtime.InteropServices;
using SharpVirt.Daemon;
using SharpVirt.Manager;
using SharpVirt.Vmm;

namespace SharpVirt.Cli.Manager;

/// <summary>
/// <c>sharpvirt daemon</c> (also run as <c>sharpvirtd</c>): the manager of this host's VMs, serving its REST API on
/// a Unix socket until SIGTERM or SIGINT. Stopping it leaves the VMs running; the next daemon re-attaches to them.
/// </summary>
internal static class DaemonCommand
{
    private static readonly Option<string?> SocketOption = new("--socket") { Description = "The API socket (default: RUN_DIR/sharpvirtd.sock)" };

    private static readonly Option<string> StateDirOption = new("--state-dir")
    {
        Description = "Where the database and each VM's config and console log live",
        DefaultValueFactory = _ => ManagerPaths.DefaultStateDirectory,
    };

    private static readonly Option<string> RunDirOption = new("--run-dir")
    {
        Description = "Where the sockets live (emptied at each host boot, so autostart runs once per boot)",
        DefaultValueFactory = _ => ManagerPaths.DefaultRunDirectory,
    };

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var command = new Command("daemon", "Run sharpvirtd: define, start, stop and supervise VMs through a REST API on a Unix socket.")
        {
            SocketOption, StateDirOption, RunDirOption,
        };
        command.SetAction(parse => Run(new DaemonOptions
        {
            Paths = new ManagerPaths(Path.GetFullPath(parse.GetValue(StateDirOption)!), Path.GetFullPath(parse.GetValue(RunDirOption)!)),
            Socket = parse.GetValue(SocketOption) is { } socket ? Path.GetFullPath(socket) : null,
            VmmBinary = Environment.ProcessPath ?? "sharpvirt",
            CheckConfig = config => VmSpecFactory.Create(config),
        }));
        return command;
    }

    private static int Run(DaemonOptions options)
    {
        DaemonServer server;
        try
        {
            server = DaemonServer.StartAsync(options).GetAwaiter().GetResult();
        }
        catch (ManagerException e)
        {
            Console.Error.WriteLine($"sharpvirtd: {e.Message}");
            return 1;
        }

        var stop = new TaskCompletionSource<PosixSignal>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.TrySetResult(context.Signal);
        }

        using (PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal))
        using (PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal))
        {
            Console.Error.WriteLine($"sharpvirtd: listening on {server.SocketPath} (state in {options.Paths.StateDirectory})");
            var signal = stop.Task.GetAwaiter().GetResult();
            Console.Error.WriteLine($"sharpvirtd: {signal}: stopping; running VMs keep running");
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        return 0;
    }
}
