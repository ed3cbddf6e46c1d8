using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using SharpVirt.Contracts;
using SharpVirt.Contracts.Api;

namespace SharpVirt.Cli;

/// <summary>
/// <c>sharpvirt vm migrate --socket PATH --to tcp:HOST:PORT</c>: starts a live migration and follows it to its end
/// (progress on stderr, the final status as JSON on stdout; Ctrl-C cancels it, as in <c>virsh migrate</c>);
/// <c>--status</c> shows the current one and <c>--cancel</c> stops it.
/// </summary>
internal static class MigrateVerb
{

    public static Command Create(Option<string> socketOption, Func<ParseResult, Func<ApiClient, int>, int> call)
    {
        var to = new Option<string?>("--to") { Description = "Where the destination VMM listens (sharpvirt vmm --incoming tcp:HOST:PORT)" };
        var downtime = new Option<int?>("--downtime-ms") { Description = "The longest pause the guest may see, in ms (default 300)" };
        var rounds = new Option<int?>("--max-rounds") { Description = "Stop the guest for the rest after this many copy rounds (default 30)" };
        var detach = new Option<bool>("--detach") { Description = "Return once started instead of following it" };
        var status = new Option<bool>("--status") { Description = "Show the current (or last) migration and return" };
        var cancel = new Option<bool>("--cancel") { Description = "Cancel the migration in progress; the guest runs on here" };
        var verb = new Command("migrate", "Move the running guest live to another VMM; this VMM ends when it is done")
        {
            socketOption, to, downtime, rounds, detach, status, cancel,
        };
        verb.SetAction(parse => call(parse, client =>
        {
            if (parse.GetValue(status))
            {
                return VmClientCommand.Report(client.Send(HttpMethod.Get, "/migrate"));
            }

            if (parse.GetValue(cancel))
            {
                return VmClientCommand.Report(client.Send(HttpMethod.Delete, "/migrate"));
            }

            if (parse.GetValue(to) is not { } url)
            {
                Console.Error.WriteLine("sharpvirt: --to: give the destination (tcp:HOST:PORT), or --status or --cancel");
                return 1;
            }

            var request = new MigrationRequest { DestinationUrl = url };
            request.DowntimeLimitMs = parse.GetValue(downtime) ?? request.DowntimeLimitMs;
            request.MaxRounds = parse.GetValue(rounds) ?? request.MaxRounds;
            var started = client.Send(HttpMethod.Put, "/migrate", JsonSerializer.Serialize(request, ContractsJsonContext.Default.MigrationRequest));
            return started.Status != 202 || parse.GetValue(detach) ? VmClientCommand.Report(started) : Follow(client);
        }));
        return verb;
    }

    private static int Follow(ApiClient client)
    {
        var cancelled = 0;
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
        {
            context.Cancel = true;
            if (Interlocked.Exchange(ref cancelled, 1) == 0)
            {
                Console.Error.WriteLine("\nsharpvirt: cancelling the migration");
                client.Send(HttpMethod.Delete, "/migrate");
            }
        });
        string? last = null;
        while (true)
        {
            var answer = client.Send(HttpMethod.Get, "/migrate?wait_ms=500");
            if (answer.Status != 200)
            {
                return VmClientCommand.Report(answer);
            }

            var status = JsonSerializer.Deserialize(answer.Body, ContractsJsonContext.Default.MigrationStatus)!;
            if (status.State != MigrationState.Active)
            {
                Console.Error.WriteLine(Summary(status));
                Console.Out.WriteLine(answer.Body);
                return status.State == MigrationState.Completed ? 0 : 1;
            }

            var line = Progress(status);
            if (line != last)
            {
                Console.Error.WriteLine(line);
                last = line;
            }
        }
    }

    private static string Progress(MigrationStatus s) => string.Create(CultureInfo.InvariantCulture,
        $"migrate: {s.Phase}, round {s.Round}: {Mib(s.TransferredBytes)} of {Mib(s.MemoryBytes)} MiB sent, {Mib(s.DirtyBytes)} MiB dirty, {s.BandwidthMibPerSecond:0} MiB/s");

    private static string Summary(MigrationStatus s) => s.State == MigrationState.Completed
        ? string.Create(CultureInfo.InvariantCulture,
            $"migrated to {s.DestinationUrl} in {s.ElapsedMs / 1000:0.00} s ({s.Round} rounds, {Mib(s.TransferredBytes)} MiB sent), downtime {s.DowntimeMs:0.0} ms")
        : $"sharpvirt: migration {s.State.ToString().ToLowerInvariant()}: {s.Error}; the guest runs on here";

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture);
}
