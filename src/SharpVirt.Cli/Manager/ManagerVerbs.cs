using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using SharpVirt.Contracts.Manager;

namespace SharpVirt.Cli.Manager;

/// <summary>
/// The verbs on VMs that sharpvirtd manages (as virsh's): list, info, start, stop, pause, resume, autostart, undefine,
/// definition; <see cref="DefineVerb"/> adds define.
/// </summary>
internal static class ManagerVerbs
{
    /// <summary>Every manager verb, to add to the root command.</summary>
    public static IEnumerable<Command> All()
    {
        yield return List();
        yield return DefineVerb.Create();
        yield return OnVm("info", "Show one VM: state, why, resources, its VMM's pid and sockets",
            (parse, client, name) => ShowStatus(parse, client.Send(HttpMethod.Get, DaemonConnection.VmPath(name))));
        yield return OnVm("definition", "Print a VM's stored definition (JSON)",
            (_, client, name) => VmClientCommand.Report(client.Send(HttpMethod.Get, DaemonConnection.VmPath(name, "/definition"))));
        yield return OnVm("start", "Start a defined VM (its own VMM process) and wait until it runs", (parse, client, name) => State(parse, client, name, VmStateAction.Start));
        yield return Stop();
        yield return OnVm("pause", "Freeze a running VM", (parse, client, name) => State(parse, client, name, VmStateAction.Pause));
        yield return OnVm("resume", "Run a paused VM again", (parse, client, name) => State(parse, client, name, VmStateAction.Resume));
        yield return Autostart();
        yield return OnVm("undefine", "Remove a VM that is not running (its disks stay)", (_, client, name) =>
        {
            var answer = client.Send(HttpMethod.Delete, DaemonConnection.VmPath(name));
            if (answer.Status is >= 200 and < 300)
            {
                Console.Out.WriteLine($"{name}: undefined");
                return 0;
            }

            return VmClientCommand.Report(answer);
        });
    }

    private static Command List()
    {
        var verb = new Command("list", "List the defined VMs and their states") { DaemonConnection.ConnectOption, DaemonConnection.OutputOption };
        verb.SetAction(parse => DaemonConnection.Call(parse, client => DaemonConnection.Report(parse,
            client.Send(HttpMethod.Get, "/v1/vms"), ManagerJsonContext.Default.VmList, Table)));
        return verb;
    }

    private static Command Stop()
    {
        var force = new Option<bool>("--force") { Description = "Stop at once (pull the plug) instead of pressing the power button" };
        var timeout = new Option<int?>("--timeout") { Description = "Seconds the guest has to power off before it is forced (default 30)" };
        var verb = OnVm("stop", "Press the power button and wait for the guest to power off (then force it)", (parse, client, name) =>
            State(parse, client, name, parse.GetValue(force) ? VmStateAction.ForceStop : VmStateAction.Stop, parse.GetValue(timeout)));
        verb.Options.Add(force);
        verb.Options.Add(timeout);
        return verb;
    }

    private static Command Autostart()
    {
        var value = new Argument<string>("on|off") { Description = "on: start the VM when sharpvirtd starts (once per host boot)" };
        var verb = OnVm("autostart", "Start a VM when sharpvirtd starts, or not", (parse, client, name) =>
        {
            var on = parse.GetValue(value) switch
            {
                "on" => true,
                "off" => false,
                var other => throw new ApiClientException($"on|off: '{other}': use on or off"),
            };
            var update = JsonSerializer.Serialize(new VmDefinitionUpdate { Autostart = on }, ManagerJsonContext.Default.VmDefinitionUpdate);
            return ShowStatus(parse, client.Send(HttpMethod.Patch, DaemonConnection.VmPath(name), update));
        });
        verb.Arguments.Add(value);
        return verb;
    }

    /// <summary>A verb on one VM named by its first argument.</summary>
    private static Command OnVm(string name, string description, Func<ParseResult, ApiClient, string, int> run)
    {
        var vm = new Argument<string>("NAME") { Description = "The VM's name" };
        var verb = new Command(name, description) { vm, DaemonConnection.ConnectOption, DaemonConnection.OutputOption };
        verb.SetAction(parse => DaemonConnection.Call(parse, client => run(parse, client, parse.GetValue(vm)!)));
        return verb;
    }

    private static int State(ParseResult parse, ApiClient client, string name, VmStateAction action, int? timeout = null)
    {
        var body = JsonSerializer.Serialize(new VmStateChange { Action = action, TimeoutSeconds = timeout }, ManagerJsonContext.Default.VmStateChange);
        return ShowStatus(parse, client.Send(HttpMethod.Put, DaemonConnection.VmPath(name, "/state"), body));
    }

    private static int ShowStatus(ParseResult parse, (int Status, string Body) answer) =>
        DaemonConnection.Report(parse, answer, ManagerJsonContext.Default.VmStatus, Describe);

    /// <summary>One VM as lines of "field: value".</summary>
    private static string Describe(VmStatus vm)
    {
        var text = new StringBuilder();
        void Line(string field, object? value)
        {
            if (value is not null)
            {
                text.Append(CultureInfo.InvariantCulture, $"{field,-15}{value}\n");
            }
        }

        Line("name:", vm.Name);
        Line("state:", ManagerNames.Of(vm.State));
        Line("reason:", vm.Reason);
        Line("since:", vm.Since.ToString("u", CultureInfo.InvariantCulture));
        Line("vcpus:", vm.Vcpus);
        Line("memory:", $"{vm.MemoryMib} MiB");
        Line("pid:", vm.Pid);
        Line("api socket:", vm.ApiSocket);
        Line("console log:", vm.ConsoleLog);
        Line("autostart:", vm.Autostart ? "on" : "off");
        Line("restart:", $"{ManagerNames.Of(vm.RestartPolicy)} (restarts so far: {vm.Restarts})");
        return text.ToString();
    }

    private static string Table(VmList list)
    {
        var rows = list.Vms.Select(vm => new[]
        {
            vm.Name, ManagerNames.Of(vm.State), vm.Vcpus.ToString(CultureInfo.InvariantCulture), $"{vm.MemoryMib} MiB",
            vm.Pid?.ToString(CultureInfo.InvariantCulture) ?? "-", vm.Autostart ? "on" : "off", vm.Reason ?? "",
        }).ToList();
        string[] header = ["NAME", "STATE", "CPUS", "MEMORY", "PID", "AUTOSTART", "REASON"];
        var widths = header.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        var text = new StringBuilder();
        foreach (var row in rows.Prepend(header))
        {
            // The last column (the reason) is not padded.
            text.AppendJoin("  ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))).Append('\n');
        }

        return text.ToString();
    }
}
