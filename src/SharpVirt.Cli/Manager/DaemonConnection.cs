using System.CommandLine;
using System.Text.Json;
using SharpVirt.Contracts.Manager;
using SharpVirt.Manager;

namespace SharpVirt.Cli.Manager;

/// <summary>
/// How the manager verbs reach sharpvirtd: <c>--connect PATH</c>, else $SHARPVIRT_CONNECT, else the system socket;
/// each call prints the refusal's reason and gives exit code 1, as the <c>vm</c> verbs do.
/// </summary>
internal static class DaemonConnection
{
    /// <summary>--connect: the daemon's socket.</summary>
    public static readonly Option<string?> ConnectOption = new("--connect", "-c")
    {
        Description = $"sharpvirtd's API socket (default: $SHARPVIRT_CONNECT, else {ManagerPaths.DefaultRunDirectory}/sharpvirtd.sock)",
    };

    /// <summary>--output: table (for people) or json (the API's answer as it is).</summary>
    public static readonly Option<string> OutputOption = new("--output", "-o")
    {
        Description = "table (default) or json",
        DefaultValueFactory = _ => "table",
    };

    /// <summary>The socket the verbs talk to.</summary>
    public static string SocketPath(ParseResult parse) =>
        parse.GetValue(ConnectOption)
        ?? (Environment.GetEnvironmentVariable("SHARPVIRT_CONNECT") is { Length: > 0 } env ? env : null)
        ?? Path.Combine(ManagerPaths.DefaultRunDirectory, "sharpvirtd.sock");

    /// <summary>True when the answer is to be printed as JSON; an unknown --output is an error.</summary>
    public static bool Json(ParseResult parse) => parse.GetValue(OutputOption) switch
    {
        "json" => true,
        "table" => false,
        var other => throw new ApiClientException($"--output: '{other}': use table or json"),
    };

    /// <summary>Runs <paramref name="run"/> against the daemon; a daemon that cannot be reached is exit code 1 with why.</summary>
    public static int Call(ParseResult parse, Func<ApiClient, int> run)
    {
        try
        {
            _ = Json(parse);
            using var client = new ApiClient(SocketPath(parse), "--connect", "sharpvirtd");
            return run(client);
        }
        catch (ApiClientException e)
        {
            Console.Error.WriteLine($"sharpvirt: {e.Message}");
            return 1;
        }
    }

    /// <summary>
    /// On success, prints the answer (as JSON, or as <paramref name="table"/> makes it) and returns 0; on a refusal,
    /// prints its reason and returns 1.
    /// </summary>
    public static int Report<T>(ParseResult parse, (int Status, string Body) answer, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type,
        Func<T, string> table)
    {
        if (answer.Status is < 200 or >= 300 || Json(parse) || answer.Body.Length == 0)
        {
            return VmClientCommand.Report(answer);
        }

        var value = JsonSerializer.Deserialize(answer.Body, type)!;
        Console.Out.Write(table(value));
        return 0;
    }

    /// <summary>The path of one VM's resource.</summary>
    public static string VmPath(string name, string rest = "") => $"/v1/vms/{Uri.EscapeDataString(name)}{rest}";
}
