using System.Diagnostics;
using System.Text;

namespace SharpVirt.IntegrationTests;

/// <summary>Runs the shipped sharpvirt binary as a user would, with its console on pipes.</summary>
public sealed class SharpVirtProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Lock _gate = new();
    private readonly Thread _reader;

    private SharpVirtProcess(Process process)
    {
        _process = process;
        var buffer = new char[4096];
        _reader = new Thread(() =>
        {
            int n;
            while ((n = _process.StandardOutput.Read(buffer, 0, buffer.Length)) > 0)
            {
                lock (_gate)
                {
                    _output.Append(buffer, 0, n);
                }
            }
        })
        { IsBackground = true };
        _reader.Start();
    }

    /// <summary>The binary: $SHARPVIRT_BIN (set by scripts/test.sh), else out/bin/sharpvirt of this checkout.</summary>
    public static string BinaryPath
    {
        get
        {
            if (Environment.GetEnvironmentVariable("SHARPVIRT_BIN") is { Length: > 0 } bin)
            {
                return bin;
            }

            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SharpVirt.slnx")))
            {
                dir = dir.Parent;
            }

            return dir is null ? "sharpvirt" : Path.Combine(dir.FullName, "out", "bin", "sharpvirt");
        }
    }

    /// <summary>Everything the VMM printed so far (guest console and VMM messages).</summary>
    public string Output
    {
        get
        {
            lock (_gate)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts <c>sharpvirt</c> with <paramref name="arguments"/>.</summary>
    public static SharpVirtProcess Start(params string[] arguments) => StartAs(null, arguments);

    /// <summary>Starts <c>sharpvirt</c> inside network namespace <paramref name="netns"/> (through ip netns exec).</summary>
    public static SharpVirtProcess StartInNamespace(string netns, params string[] arguments) =>
        StartWith(["ip", "netns", "exec", netns], arguments);

    /// <summary>Starts <c>sharpvirt</c> as user id <paramref name="uid"/> (through setpriv; the caller must be root).</summary>
    public static SharpVirtProcess StartAs(string? uid, params string[] arguments) =>
        StartWith(uid is null ? [] : ["setpriv", "--clear-groups", $"--regid={uid}", $"--reuid={uid}"], arguments);

    /// <summary>Starts <c>sharpvirt</c> under <paramref name="prefix"/> (a command that runs the rest, or nothing).</summary>
    private static SharpVirtProcess StartWith(string[] prefix, string[] arguments)
    {
        var path = BinaryPath;
        if (!File.Exists(path))
        {
            Assert.Fail($"{path} does not exist: run scripts/setup.sh (or scripts/test.sh) first");
        }

        var start = new ProcessStartInfo(path)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = false,
            UseShellExecute = false,
        };
        start.Environment["SHARPVIRT_CACHE"] = Environment.GetEnvironmentVariable("SHARPVIRT_CACHE") ?? "";
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        // stderr joins stdout so messages are in Output, in order.
        start.FileName = "/bin/sh";
        start.ArgumentList.Insert(0, "-c");
        start.ArgumentList.Insert(1, "exec \"$0\" \"$@\" 2>&1");
        start.ArgumentList.Insert(2, path);
        if (prefix.Length > 0)
        {
            start.ArgumentList.Insert(0, "/bin/sh");
            foreach (var a in prefix[1..].Reverse())
            {
                start.ArgumentList.Insert(0, a);
            }

            start.FileName = prefix[0];
        }

        return new SharpVirtProcess(Process.Start(start)!);
    }

    /// <summary>Waits until the output contains <paramref name="text"/> after <paramref name="from"/>; returns its end index.</summary>
    public int WaitFor(string text, TimeSpan timeout, int from = 0)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var output = Output;
            var at = output.IndexOf(text, Math.Min(from, output.Length), StringComparison.Ordinal);
            if (at >= 0)
            {
                return at + text.Length;
            }

            if (_process.HasExited && !output.Contains(text, StringComparison.Ordinal))
            {
                Thread.Sleep(200);
                if (!Output.Contains(text, StringComparison.Ordinal))
                {
                    break;
                }
            }

            Thread.Sleep(50);
        }

        Assert.Fail($"'{text}' did not appear within {timeout.TotalSeconds} s; output so far:\n{Tail(Output)}");
        return -1;
    }

    /// <summary>Waits until the output after <paramref name="from"/> matches <paramref name="pattern"/>; returns the match.</summary>
    public System.Text.RegularExpressions.Match WaitForMatch(System.Text.RegularExpressions.Regex pattern, TimeSpan timeout, int from = 0)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var output = Output;
            var match = pattern.Match(output, Math.Min(from, output.Length));
            if (match.Success)
            {
                return match;
            }

            if (_process.HasExited)
            {
                Thread.Sleep(200);
                if (pattern.Match(Output, Math.Min(from, Output.Length)) is { Success: true } last)
                {
                    return last;
                }

                break;
            }

            Thread.Sleep(50);
        }

        Assert.Fail($"nothing matching '{pattern}' appeared within {timeout.TotalSeconds} s; output so far:\n{Tail(Output)}");
        return System.Text.RegularExpressions.Match.Empty;
    }

    /// <summary>The VMM's process id (the shell wrappers exec it, so this is the VMM itself).</summary>
    public int Pid => _process.Id;

    /// <summary>The VMM's resident set size now, in bytes (VmRSS).</summary>
    public long Rss =>
        long.Parse(File.ReadAllLines($"/proc/{Pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;

    /// <summary>
    /// The resident bytes of the guest's RAM mapping alone (the mappings of exactly <paramref name="memoryBytes"/>, from
    /// /proc/PID/smaps): unlike <see cref="Rss"/>, not moved by the VMM's own heap.
    /// </summary>
    public long GuestRss(long memoryBytes = 256L << 20)
    {
        long total = 0;
        var inGuest = false;
        foreach (var line in File.ReadLines($"/proc/{Pid}/smaps"))
        {
            var dash = line.IndexOf('-', StringComparison.Ordinal);
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (dash > 0 && space > dash && !line.EndsWith(" kB", StringComparison.Ordinal))
            {
                var start = Convert.ToInt64(line[..dash], 16);
                var end = Convert.ToInt64(line[(dash + 1)..space], 16);
                inGuest = end - start == memoryBytes;
            }
            else if (inGuest && line.StartsWith("Rss:", StringComparison.Ordinal))
            {
                total += long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }

        return total;
    }

    /// <summary>Sends keys as they are (no newline): Ctrl-A c is "\u0001c".</summary>
    public void Keys(string keys)
    {
        _process.StandardInput.Write(keys);
        _process.StandardInput.Flush();
    }

    /// <summary>Types a line into the guest console.</summary>
    public void Type(string line)
    {
        _process.StandardInput.Write(line + "\n");
        _process.StandardInput.Flush();
    }

    /// <summary>
    /// Runs monitor commands (Ctrl-A c, each command, Ctrl-A c back), waiting for <paramref name="expected"/> after the
    /// last; returns where it ends in <see cref="Output"/>.
    /// </summary>
    public int Monitor(string expected, TimeSpan timeout, int from, params string[] commands)
    {
        Keys("\u0001c");
        foreach (var command in commands)
        {
            Type(command);
        }

        var at = WaitFor(expected, timeout, from);
        Keys("\u0001c");
        return at;
    }

    /// <summary>Waits for the process to exit and returns its exit code.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            Assert.Fail($"sharpvirt did not exit within {timeout.TotalSeconds} s; output:\n{Tail(Output)}");
        }

        // The process has exited; its last output may still be in the pipe: read to the end.
        _reader.Join(TimeSpan.FromSeconds(5));
        return _process.ExitCode;
    }

    private static string Tail(string s) => s.Length > 3000 ? s[^3000..] : s;

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }
}
