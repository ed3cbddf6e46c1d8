using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace SharpVirt.IntegrationTests;

/// <summary>The real default guest moved live from one VMM process to another over TCP, and migrations that fail.</summary>
public sealed partial class MigrationTests : IDisposable
{
    private static readonly TimeSpan BootTimeout = TimeSpan.FromMinutes(4);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);
    private readonly string _dir = Directory.CreateTempSubdirectory("sv-migrate-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [KvmFact]
    public void A_counter_and_a_disk_go_on_in_the_destination_process_and_the_source_ends()
    {
        var socket = Path.Combine(_dir, "source.sock");
        var image = Path.Combine(_dir, "data.img");
        File.WriteAllBytes(image, new byte[4 << 20]);
        var url = $"tcp:127.0.0.1:{FreePort()}";
        using var source = SharpVirtProcess.Start("run", "--api-socket", socket, "--cpus", "2", "--disk", $"path={image}");
        var at = source.WaitFor("SHARPVIRT-READY", BootTimeout);
        at = source.WaitFor("~ # ", CommandTimeout, at);
        source.Type("(i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 1; done) & echo first-$((6*7)) | dd of=/dev/vda conv=fsync 2>/dev/null; until [ -s /tmp/count ]; do sleep 1; done; echo started-$(cat /tmp/count)");
        var started = Number(source.WaitForMatch(Started(), CommandTimeout, at));

        using var destination = SharpVirtProcess.Start("vmm", "--incoming", url);
        destination.WaitFor("waiting for a migration", CommandTimeout);
        using (var cli = SharpVirtProcess.Start("vm", "migrate", "--socket", socket, "--to", url))
        {
            Assert.Equal(0, cli.WaitForExit(CommandTimeout));
            Assert.Contains($"migrated to {url}", cli.Output, StringComparison.Ordinal);
            Assert.Contains("\"state\": \"completed\"", cli.Output, StringComparison.Ordinal);
            Assert.Matches(@"downtime \d+\.\d ms", cli.Output);
        }

        // The source ends as a guest that left (exit 0) and lets go of the image, which the destination holds now.
        Assert.Equal(0, source.WaitForExit(CommandTimeout));
        destination.Type("echo moved-$(cat /tmp/count)-$(dd if=/dev/vda bs=8 count=1 2>/dev/null)");
        var moved = destination.WaitForMatch(Moved(), CommandTimeout);
        Assert.Equal("first-42", moved.Groups[2].Value);
        Assert.True(Number(moved) >= started, $"the counter went back: started at {started}, moved at {moved.Value}");
        destination.Type("sleep 3; echo later-$(cat /tmp/count); echo second-$((6*7)) | dd of=/dev/vda bs=512 seek=8 conv=fsync 2>/dev/null; echo written-$((1+1))");
        var later = destination.WaitForMatch(Later(), CommandTimeout, moved.Index + moved.Length);
        Assert.True(Number(later) > Number(moved), $"the counter stood still: {moved.Value} then {later.Value}");
        destination.WaitFor("written-2", CommandTimeout, later.Index);
        destination.Type("poweroff");
        Assert.Equal(0, destination.WaitForExit(CommandTimeout));

        var block = new byte[10];
        using var file = File.OpenRead(image);
        file.Seek(8 * 512, SeekOrigin.Begin);
        file.ReadExactly(block);
        Assert.Equal("second-42\n", System.Text.Encoding.ASCII.GetString(block));
    }

    [KvmFact]
    public void The_network_card_keeps_working_after_a_migration_on_the_same_multi_queue_tap()
    {
        const string Tap = "svmig0";
        using var ns = new HostNamespace();
        ns.Exec("ip", "tuntap", "add", Tap, "mode", "tap", "multi_queue");
        ns.Exec("ip", "addr", "add", "10.252.0.1/24", "dev", Tap);
        ns.Exec("ip", "link", "set", Tap, "up");
        var socket = Path.Combine(_dir, "net.sock");
        var url = $"tcp:127.0.0.1:{FreePort()}";
        using var source = SharpVirtProcess.StartInNamespace(ns.Name, "run", "--net", $"tap={Tap}", "--api-socket", socket);
        var at = source.WaitFor("SHARPVIRT-READY", BootTimeout);
        at = source.WaitFor("~ # ", CommandTimeout, at);
        source.Type("ip addr add 10.252.0.2/24 dev eth0; ip link set eth0 up; ping -c 2 10.252.0.1 >/dev/null; echo ping-rc=$?");
        source.WaitFor("ping-rc=0", CommandTimeout, at);

        // While the source holds the tap, no second VMM may attach to it.
        using (var thief = SharpVirtProcess.StartInNamespace(ns.Name, "run", "--net", $"tap={Tap}"))
        {
            Assert.NotEqual(0, thief.WaitForExit(CommandTimeout));
            Assert.Contains($"tap {Tap} is in use by another process", thief.Output, StringComparison.Ordinal);
        }

        using var destination = SharpVirtProcess.StartInNamespace(ns.Name, "vmm", "--incoming", url);
        destination.WaitFor("waiting for a migration", CommandTimeout);
        using (var cli = SharpVirtProcess.StartInNamespace(ns.Name, "vm", "migrate", "--socket", socket, "--to", url))
        {
            Assert.Equal(0, cli.WaitForExit(CommandTimeout));
        }

        Assert.Equal(0, source.WaitForExit(CommandTimeout));
        destination.Type("ping -c 3 10.252.0.1 >/dev/null; echo again-rc=$?");
        destination.WaitFor("again-rc=0", CommandTimeout);
        Assert.Contains("3 packets received", ns.Exec("busybox", "ping", "-c", "3", "10.252.0.2"));
        destination.Type("poweroff");
        Assert.Equal(0, destination.WaitForExit(CommandTimeout));
    }

    [KvmFact]
    public void A_killed_destination_and_a_cancel_leave_the_source_running_and_a_later_migration_succeeds()
    {
        var socket = Path.Combine(_dir, "fail.sock");
        using var source = SharpVirtProcess.Start("run", "--api-socket", socket);
        var at = source.WaitFor("SHARPVIRT-READY", BootTimeout);
        at = source.WaitFor("~ # ", CommandTimeout, at);
        source.Type("(i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 1; done) & echo marker > /root/file; echo ready-$((2+2))");
        at = source.WaitFor("ready-4", CommandTimeout, at);
        using var api = new VmmApi(socket);

        // A destination that stops reading and is then killed, in the middle of the copy.
        var url = $"tcp:127.0.0.1:{FreePort()}";
        using (var doomed = SharpVirtProcess.Start("vmm", "--incoming", url))
        {
            doomed.WaitFor("waiting for a migration", CommandTimeout);
            Signal("STOP", doomed.Pid);
            api.Expect(202, "PUT", "/migrate", $"{{\"destination_url\":\"{url}\"}}");
            Assert.Equal("active", api.Get("/migrate", "state").GetString());
            api.Expect(409, "PATCH", "/vm", "{\"state\":\"Paused\"}");
            Signal("KILL", doomed.Pid);
            Assert.Equal("failed", WaitForEnd(api));
            Assert.NotNull(api.Get("/migrate", "error").GetString());
        }

        Assert.Equal("running", api.Get("/", "state").GetString());
        at = TypeAndCount(source, "after-kill", at);

        // A migration cancelled by the user.
        url = $"tcp:127.0.0.1:{FreePort()}";
        using (var stalled = SharpVirtProcess.Start("vmm", "--incoming", url))
        {
            stalled.WaitFor("waiting for a migration", CommandTimeout);
            Signal("STOP", stalled.Pid);
            api.Expect(202, "PUT", "/migrate", $"{{\"destination_url\":\"{url}\"}}");
            using (var cancel = SharpVirtProcess.Start("vm", "migrate", "--socket", socket, "--cancel"))
            {
                Assert.Equal(0, cancel.WaitForExit(CommandTimeout));
            }

            Assert.Equal("cancelled", WaitForEnd(api));
            Signal("KILL", stalled.Pid);
        }

        // Nothing answering at all.
        api.Expect(202, "PUT", "/migrate", $"{{\"destination_url\":\"tcp:127.0.0.1:{FreePort()}\"}}");
        Assert.Equal("failed", WaitForEnd(api));
        Assert.Contains("refused", api.Get("/migrate", "error").GetString(), StringComparison.OrdinalIgnoreCase);
        at = TypeAndCount(source, "after-cancel", at);

        // The guest, none the worse, moves for real.
        url = $"tcp:127.0.0.1:{FreePort()}";
        using var destination = SharpVirtProcess.Start("vmm", "--incoming", url);
        destination.WaitFor("waiting for a migration", CommandTimeout);
        using (var cli = SharpVirtProcess.Start("vm", "migrate", "--socket", socket, "--to", url, "--downtime-ms", "100"))
        {
            Assert.Equal(0, cli.WaitForExit(CommandTimeout));
        }

        Assert.Equal(0, source.WaitForExit(CommandTimeout));
        destination.Type("echo moved-$(cat /tmp/count)-$(cat /root/file)");
        Assert.Equal("marker", destination.WaitForMatch(Moved(), CommandTimeout).Groups[2].Value);
        destination.Type("poweroff");
        Assert.Equal(0, destination.WaitForExit(CommandTimeout));
    }

    private static int TypeAndCount(SharpVirtProcess guest, string label, int from)
    {
        guest.Type($"echo {label}-$(cat /tmp/count); sleep 2; echo {label}-$(cat /tmp/count)");
        var pattern = new Regex(label + @"-(\d+)\r?\n.*?" + label + @"-(\d+)", RegexOptions.Singleline);
        var match = guest.WaitForMatch(pattern, CommandTimeout, from);
        var (first, second) = (int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture));
        Assert.True(second > first, $"the guest's counter stood still {label}: {match.Value}");
        return match.Index + match.Length;
    }

    private static string WaitForEnd(VmmApi api)
    {
        var deadline = DateTime.UtcNow + CommandTimeout;
        string? state;
        while ((state = api.Get("/migrate", "state").GetString()) == "active" && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(100);
        }

        return state!;
    }

    private static void Signal(string signal, int pid) => HostNamespace.Run("kill", $"-{signal}", pid.ToString(CultureInfo.InvariantCulture));

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static int Number(Match match) => int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"started-(\d+)")]
    private static partial Regex Started();

    [GeneratedRegex(@"moved-(\d+)-([\w-]+)")]
    private static partial Regex Moved();

    [GeneratedRegex(@"later-(\d+)")]
    private static partial Regex Later();
}
