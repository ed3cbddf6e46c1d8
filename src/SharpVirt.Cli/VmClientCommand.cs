using System.CommandLine;
using System.Globalization;

namespace SharpVirt.Cli;

/// <summary>
/// <c>sharpvirt vm VERB --socket PATH</c>: a client of one running VMM's REST API (as <c>virsh</c> verbs on one
/// domain). It prints what the API answers (JSON for info, config and metrics) and exits 1 with the API's reason
/// when a call is refused.
/// </summary>
public static class VmClientCommand
{
    private static readonly Option<string> SocketOption = new("--socket", "-s")
    {
        Description = "The VMM's API socket (its --api-socket)",
        Required = true,
    };

    /// <summary>Builds the command and its verbs.</summary>
    public static Command Create()
    {
        var command = new Command("vm", "Control a running VMM through its API socket.");
        command.Subcommands.Add(Verb("info", "Show the instance: id, state, version, uptime", c => Get(c, "/")));
        command.Subcommands.Add(Verb("config", "Show the VM's whole configuration", c => Get(c, "/vm/config")));
        command.Subcommands.Add(Verb("pause", "Freeze the guest's vCPUs and devices", c => Action(c, "pause")));
        command.Subcommands.Add(Verb("resume", "Run a paused guest again", c => Action(c, "resume")));
        command.Subcommands.Add(Verb("start", "Boot the VM configured through the API", c => Action(c, "start")));
        command.Subcommands.Add(Verb("stop", "Stop the VM at once (as pulling the plug); the VMM exits", c => Action(c, "stop")));
        command.Subcommands.Add(Verb("flush", "Make every disk's completed writes durable on the host", c => Action(c, "flush")));
        command.Subcommands.Add(Verb("power-button", "Press the ACPI power button (a guest with a button driver shuts down)", c => Action(c, "power_button")));
        command.Subcommands.Add(Verb("ctrl-alt-del", "Type Ctrl-Alt-Del on the guest's PS/2 keyboard (its init decides)", c => Action(c, "ctrl_alt_del")));
        command.Subcommands.Add(Metrics());
        command.Subcommands.Add(Balloon());
        command.Subcommands.Add(Snapshot());
        command.Subcommands.Add(MigrateVerb.Create(SocketOption, Call));
        return command;
    }

    private static Command Verb(string name, string description, Func<ApiClient, int> run)
    {
        var verb = new Command(name, description) { SocketOption };
        verb.SetAction(parse => Call(parse, run));
        return verb;
    }

    private static Command Metrics()
    {
        var prometheus = new Option<bool>("--prometheus") { Description = "Prometheus text instead of JSON" };
        var verb = new Command("metrics", "Show every device's counters") { SocketOption, prometheus };
        verb.SetAction(parse => Call(parse, c => Get(c, parse.GetValue(prometheus) ? "/metrics/prometheus" : "/metrics")));
        return verb;
    }

    private static Command Balloon()
    {
        var size = new Argument<string?>("MIB") { Description = "The new target in MiB; without it, show the balloon's statistics", Arity = ArgumentArity.ZeroOrOne };
        var verb = new Command("balloon", "Set the balloon's target, or show its statistics") { SocketOption, size };
        verb.SetAction(parse => Call(parse, c =>
        {
            if (parse.GetValue(size) is not { } text)
            {
                return Get(c, "/balloon/statistics");
            }

            var mib = SizeParser.ParseMib(text, out var error);
            if (mib is null)
            {
                Console.Error.WriteLine($"sharpvirt: MIB: {error}");
                return 1;
            }

            return Report(c.Send(HttpMethod.Patch, "/balloon", string.Create(CultureInfo.InvariantCulture, $"{{\"amount_mib\":{mib}}}")));
        }));
        return verb;
    }

    private static Command Snapshot()
    {
        var to = new Option<string>("--to") { Description = "The directory to write (files state and memory)", Required = true };
        var verb = new Command("snapshot", "Write the guest's state and memory to a directory; it runs on (restore: sharpvirt vmm --restore DIR)")
        {
            SocketOption, to,
        };
        verb.SetAction(parse => Call(parse, c => Report(c.Send(HttpMethod.Put, "/snapshot/create",
            $"{{\"snapshot_path\":{System.Text.Json.JsonSerializer.Serialize(Path.GetFullPath(parse.GetValue(to)!), SharpVirt.Contracts.ContractsJsonContext.Default.String)}}}"))));
        return verb;
    }

    private static int Get(ApiClient client, string path) => Report(client.Send(HttpMethod.Get, path));

    private static int Action(ApiClient client, string action) =>
        Report(client.Send(HttpMethod.Put, "/actions", $"{{\"action\":\"{action}\"}}"));

    private static int Call(ParseResult parse, Func<ApiClient, int> run)
    {
        try
        {
            using var client = ApiClient.ForVmm(parse.GetValue(SocketOption)!);
            return run(client);
        }
        catch (ApiClientException e)
        {
            Console.Error.WriteLine($"sharpvirt: {e.Message}");
            return 1;
        }
    }

    /// <summary>Prints a success's body and returns 0, or the refusal's reason on stderr and returns 1.</summary>
    internal static int Report((int Status, string Body) answer)
    {
        if (answer.Status is >= 200 and < 300)
        {
            if (answer.Body.Length > 0)
            {
                Console.Out.Write(answer.Body.EndsWith('\n') ? answer.Body : answer.Body + "\n");
            }

            return 0;
        }

        Console.Error.WriteLine($"sharpvirt: {FaultMessage(answer.Body)} (HTTP {answer.Status})");
        return 1;
    }

    /// <summary>The API error's one line, or the body as it is.</summary>
    internal static string FaultMessage(string body)
    {
        try
        {
            var error = System.Text.Json.JsonSerializer.Deserialize(body, SharpVirt.Contracts.ContractsJsonContext.Default.ApiError);
            return error?.FaultMessage ?? body;
        }
        catch (System.Text.Json.JsonException)
        {
            return body;
        }
    }
}
