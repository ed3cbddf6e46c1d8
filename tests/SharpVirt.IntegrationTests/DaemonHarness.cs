using System.Text.Json;
using SharpVirt.Contracts.Manager;

namespace SharpVirt.IntegrationTests;

/// <summary>
/// A real sharpvirtd (the shipped binary) on a state and run directory of its own, and the CLI verbs a user types
/// against it. Disposing stops the daemon and kills every VMM it started, so a failed test leaves no guest behind.
/// </summary>
public sealed class DaemonHarness : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sv-daemon-").FullName;
    private readonly HashSet<int> _vmmPids = [];

    public DaemonHarness() => Daemon = StartDaemon();

    /// <summary>The running daemon process.</summary>
    public SharpVirtProcess Daemon { get; private set; }

    public string StateDirectory => Path.Combine(_root, "state");

    public string RunDirectory => Path.Combine(_root, "run");

    public string Socket => Path.Combine(RunDirectory, "sharpvirtd.sock");

    /// <summary>A file under this harness's directory (for disk images).</summary>
    public string File(string name) => Path.Combine(_root, name);

    /// <summary>Starts a daemon on this harness's directories (after <see cref="KillDaemon"/>); it is up once it listens.</summary>
    public SharpVirtProcess StartDaemon()
    {
        var daemon = SharpVirtProcess.Start("daemon", "--state-dir", StateDirectory, "--run-dir", RunDirectory);
        daemon.WaitFor("sharpvirtd: listening on", TimeSpan.FromSeconds(30));
        Daemon = daemon;
        return daemon;
    }

    /// <summary>SIGKILL to the daemon, as a crash would; its VMMs are in sessions of their own and keep running.</summary>
    public void KillDaemon()
    {
        Signal(Daemon.Pid, 9);
        Daemon.WaitForExit(TimeSpan.FromSeconds(10));
        Daemon.Dispose();
    }

    /// <summary>Runs <c>sharpvirt ARGS --connect SOCKET</c> to its end: the exit code and what it printed.</summary>
    public (int Code, string Output) Cli(params string[] arguments) => Run([.. arguments, "--connect", Socket]);

    /// <summary>Runs <c>sharpvirt ARGS</c> as given to its end: the exit code and what it printed.</summary>
    public static (int Code, string Output) Run(params string[] arguments)
    {
        using var cli = SharpVirtProcess.Start(arguments);
        var code = cli.WaitForExit(TimeSpan.FromMinutes(3));
        return (code, cli.Output);
    }

    /// <summary>Runs a verb that must succeed; fails the test with its output otherwise.</summary>
    public string Ok(params string[] arguments)
    {
        var (code, output) = Cli(arguments);
        Assert.True(code == 0, $"sharpvirt {string.Join(' ', arguments)} exited {code}:\n{output}");
        return output;
    }

    /// <summary>One VM as <c>sharpvirt info NAME -o json</c> reports it.</summary>
    public VmStatus Info(string name)
    {
        var status = JsonSerializer.Deserialize(Ok("info", name, "-o", "json"), ManagerJsonContext.Default.VmStatus)!;
        if (status.Pid is { } pid)
        {
            _vmmPids.Add(pid);
        }

        return status;
    }

    /// <summary>Every VM, as <c>sharpvirt list -o json</c> reports them.</summary>
    public IReadOnlyList<VmStatus> List() => JsonSerializer.Deserialize(Ok("list", "-o", "json"), ManagerJsonContext.Default.VmList)!.Vms;

    /// <summary>Polls <see cref="Info"/> until <paramref name="done"/> holds; fails with the last status after <paramref name="timeout"/>.</summary>
    public VmStatus WaitUntil(string name, Func<VmStatus, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var status = Info(name);
        while (!done(status))
        {
            Assert.True(DateTime.UtcNow < deadline, $"{name} did not reach the expected state within {timeout.TotalSeconds} s: " +
                JsonSerializer.Serialize(status, ManagerJsonContext.Default.VmStatus));
            Thread.Sleep(250);
            status = Info(name);
        }

        return status;
    }

    /// <summary>Waits until the VM's console log holds <paramref name="text"/> after the last start's banner.</summary>
    public void WaitForConsole(string name, string text, TimeSpan timeout)
    {
        var log = Path.Combine(StateDirectory, "vms", name, "console.log");
        var deadline = DateTime.UtcNow + timeout;
        var output = "";
        while (DateTime.UtcNow < deadline)
        {
            output = System.IO.File.Exists(log) ? System.IO.File.ReadAllText(log) : "";
            var lastStart = output.LastIndexOf("--- sharpvirtd: starting", StringComparison.Ordinal);
            if (lastStart >= 0 && output.IndexOf(text, lastStart, StringComparison.Ordinal) >= 0)
            {
                return;
            }

            Thread.Sleep(250);
        }

        Assert.Fail($"'{text}' did not appear in {name}'s console log within {timeout.TotalSeconds} s:\n" +
            (output.Length > 3000 ? output[^3000..] : output));
    }

    /// <summary>True while process <paramref name="pid"/> exists (and is not a zombie).</summary>
    public static bool IsAlive(int pid) =>
        System.IO.File.Exists($"/proc/{pid}/stat") && !System.IO.File.ReadAllText($"/proc/{pid}/stat").Split(") ")[1].StartsWith('Z');

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>.</summary>
    public static void Signal(int pid, int signal)
    {
        using var kill = System.Diagnostics.Process.Start("kill", [$"-{signal}", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public void Dispose()
    {
        Daemon.Dispose();
        foreach (var pid in _vmmPids.Where(IsAlive))
        {
            Signal(pid, 9);
        }

        Thread.Sleep(200);
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
