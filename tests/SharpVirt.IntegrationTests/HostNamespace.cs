using System.Diagnostics;

namespace SharpVirt.IntegrationTests;

/// <summary>
/// A network namespace the test creates and deletes: everything the network tests do on the host side happens in it
/// (the VMM's tap, its address, the listeners), so no address is ever set outside it or the loopback range.
/// </summary>
public sealed class HostNamespace : IDisposable
{
    public HostNamespace()
    {
        Name = $"svtest{Environment.ProcessId % 100000}{Random.Shared.Next(100)}";
        Run("ip", "netns", "add", Name);
        Exec("ip", "link", "set", "lo", "up");
    }

    public string Name { get; }

    /// <summary>Runs a command on the host (outside the namespace); fails the test on a non-zero exit.</summary>
    public static string Run(params string[] command)
    {
        var (code, output) = TryRun(command);
        Assert.True(code == 0, $"'{string.Join(' ', command)}' exited {code}: {output}");
        return output;
    }

    /// <summary>Runs a command; returns its exit code and output.</summary>
    public static (int Code, string Output) TryRun(params string[] command)
    {
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in command[1..])
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"'{string.Join(' ', command)}' did not finish within 60 s");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>Runs a command inside the namespace.</summary>
    public string Exec(params string[] command) => Run(["ip", "netns", "exec", Name, .. command]);

    /// <summary>Starts a command inside the namespace in the background.</summary>
    public Process Start(params string[] command)
    {
        var start = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["netns", "exec", Name, .. command])
        {
            start.ArgumentList.Add(a);
        }

        return Process.Start(start)!;
    }

    /// <summary>Waits until interface <paramref name="name"/> exists in the namespace.</summary>
    public void WaitForLink(string name, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (TryRun("ip", "netns", "exec", Name, "ip", "link", "show", name).Code != 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{name} did not appear in namespace {Name}");
            Thread.Sleep(100);
        }
    }

    public void Dispose() => TryRun("ip", "netns", "del", Name);
}
