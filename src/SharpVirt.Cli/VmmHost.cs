using System.Runtime.InteropServices;
using SharpVirt.Api;
using SharpVirt.Contracts;
using SharpVirt.Interop;
using SharpVirt.Vmm;
using SharpVirt.Vmm.Control;
using SharpVirt.Vmm.Monitor;

namespace SharpVirt.Cli;

/// <summary>
/// Runs one VMM in this process for <c>run</c> and <c>vmm</c>: the serial console on this terminal (raw mode when it
/// is one), signals that stop the guest cleanly, the REST API if a socket is given, and the guest booted at once when
/// a configuration is given. Returns the exit code once the guest has stopped for good.
/// </summary>
internal static class VmmHost
{
    /// <summary>Where the guest comes from instead of a boot: a snapshot directory, or a tcp:HOST:PORT to receive it on.</summary>
    public sealed record Source(string Where, bool Incoming);

    public static int Run(string id, (VmConfig Config, VmSpec Spec)? boot, string? apiSocket, Source? source = null,
        string? exitReport = null)
    {
        using var stdin = new FileDescriptor(0, ownsHandle: false);
        var stdout = Console.OpenStandardOutput();
        using var terminal = TerminalMode.EnterRaw();
        VmmController? controller = null;
        controller = new VmmController(id, new ConsoleBackend(stdout), vm =>
            new ConsoleInputPump(stdin, vm.Serial, vm.Exit, text => Console.Error.Write(text), new VmMonitor(vm, controller!)));
        using var signals = new SignalWatch(controller);
        ApiServer? api = null;
        try
        {
            if (apiSocket is not null)
            {
                api = ApiServer.StartAsync(apiSocket, controller).GetAwaiter().GetResult();
            }

            if (boot is { } b)
            {
                controller.Start(b.Config, b.Spec).GetAwaiter().GetResult();
            }
            else if (source is { Incoming: false })
            {
                try
                {
                    controller.LoadSnapshot(source.Where).GetAwaiter().GetResult();
                }
                catch (VmmControlException e) when (e.Field == "snapshot_path")
                {
                    throw new VmmControlException(e.Kind, "--restore", e.Reason);
                }
            }
            else if (source is { Incoming: true })
            {
                try
                {
                    var port = controller.ReceiveMigration(source.Where).GetAwaiter().GetResult();
                    Console.Error.Write($"sharpvirt: waiting for a migration on {source.Where} (port {port})\r\n");
                }
                catch (VmmControlException e) when (e.Field == "incoming")
                {
                    throw new VmmControlException(e.Kind, "--incoming", e.Reason);
                }
            }

            var outcome = controller.Completion.GetAwaiter().GetResult();
            if (outcome.Kind == VmOutcomeKind.Migrated && api is not null)
            {
                controller.WaitUntilMigrationReported(TimeSpan.FromSeconds(2));
            }

            terminal.Dispose();
            if (outcome.Kind is VmOutcomeKind.Panic or VmOutcomeKind.Error)
            {
                Console.Error.WriteLine($"sharpvirt: {outcome.Message}");
            }

            ExitReportFile.Write(exitReport, ExitReportFile.OutcomeName(outcome.Kind), outcome.Message, outcome.ExitCode);
            return outcome.ExitCode;
        }
        catch (Exception e) when (e is VmmControlException or IOException)
        {
            terminal.Dispose();
            Console.Error.WriteLine($"sharpvirt: {e.Message}");
            ExitReportFile.Write(exitReport, "error", e.Message, 1);
            return 1;
        }
        finally
        {
            api?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            controller.Dispose();
        }
    }

    /// <summary>SIGINT, SIGTERM and SIGHUP stop the guest cleanly, so the terminal is restored.</summary>
    private sealed class SignalWatch : IDisposable
    {
        private readonly PosixSignalRegistration[] _registrations;

        public SignalWatch(VmmController controller)
        {
            void OnSignal(PosixSignalContext context)
            {
                context.Cancel = true;
                controller.RequestStop($"stopped by {context.Signal}");
            }

            _registrations =
            [
                PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
                PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
                PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal),
            ];
        }

        public void Dispose()
        {
            foreach (var r in _registrations)
            {
                r.Dispose();
            }
        }
    }
}
