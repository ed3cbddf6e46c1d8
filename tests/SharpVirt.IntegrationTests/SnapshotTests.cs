using System.Globalization;
using System.Text.RegularExpressions;

namespace SharpVirt.IntegrationTests;

/// <summary>The real default guest frozen to a directory and continued in a new VMM process.</summary>
public sealed partial class SnapshotTests : IDisposable
{
    private static readonly TimeSpan BootTimeout = TimeSpan.FromMinutes(4);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);
    private readonly string _dir = Directory.CreateTempSubdirectory("sv-snap-").FullName;

    [KvmFact]
    public void A_counter_running_in_the_guest_goes_on_after_a_restore_in_a_new_process()
    {
        var socket = Path.Combine(_dir, "source.sock");
        var snapshot = Path.Combine(_dir, "snap");
        int saved;
        using (var source = SharpVirtProcess.Start("run", "--api-socket", socket, "--cpus", "2"))
        {
            var at = source.WaitFor("SHARPVIRT-READY", BootTimeout);
            at = source.WaitFor("~ # ", CommandTimeout, at);
            source.Type("(i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 1; done) & echo marker > /root/file; until [ -s /tmp/count ]; do sleep 1; done; echo started-$(cat /tmp/count)");
            at = source.WaitForMatch(Started(), CommandTimeout, at).Index;

            using (var cli = SharpVirtProcess.Start("vm", "snapshot", "--socket", socket, "--to", snapshot))
            {
                Assert.Equal(0, cli.WaitForExit(CommandTimeout));
                Assert.Contains("\"memory_bytes_written\"", cli.Output, StringComparison.Ordinal);
            }

            // The snapshot leaves the source running; what it counts now is past what the snapshot holds.
            source.Type("echo source-$(cat /tmp/count)");
            saved = Number(source.WaitForMatch(Source(), CommandTimeout, at));
            using var stop = SharpVirtProcess.Start("vm", "stop", "--socket", socket);
            Assert.Equal(0, stop.WaitForExit(CommandTimeout));
            Assert.Equal(0, source.WaitForExit(CommandTimeout));
        }

        Assert.True(new FileInfo(Path.Combine(snapshot, "memory")).Length == 256L << 20);
        using var restored = SharpVirtProcess.Start("vmm", "--restore", snapshot, "--api-socket", Path.Combine(_dir, "restored.sock"));
        restored.Type("echo restored-$(cat /tmp/count)-$(cat /root/file)");
        var first = restored.WaitForMatch(Restored(), CommandTimeout);
        Assert.Equal("marker", first.Groups[2].Value);
        // The guest resumes where the snapshot froze it (at most a tick or two after 'started', never past the source's
        // later count by much), and its counter runs on.
        Assert.InRange(Number(first), 1, saved + 3);
        restored.Type("sleep 3; echo later-$(cat /tmp/count)");
        var later = restored.WaitForMatch(Later(), CommandTimeout, first.Index + first.Length);
        Assert.True(Number(later) > Number(first), $"the counter stood still: {first.Value} then {later.Value}");

        restored.Type("poweroff");
        Assert.Equal(0, restored.WaitForExit(CommandTimeout));
    }

    [KvmFact]
    public void A_guest_with_a_disk_a_hwrng_and_a_balloon_keeps_using_them_after_a_restore()
    {
        var socket = Path.Combine(_dir, "dev.sock");
        var snapshot = Path.Combine(_dir, "dev-snap");
        var image = Path.Combine(_dir, "data.img");
        File.WriteAllBytes(image, new byte[4 << 20]);
        using (var source = SharpVirtProcess.Start("run", "--rng", "--balloon", "stats=1", "--disk", $"path={image}", "--api-socket", socket))
        {
            var at = source.WaitFor("SHARPVIRT-READY", BootTimeout);
            at = source.WaitFor("~ # ", CommandTimeout, at);
            source.Type("echo first-$((6*7)) | dd of=/dev/vda conv=fsync 2>/dev/null; head -c 16 /dev/hwrng | wc -c; echo ready-$((1+1))");
            at = source.WaitFor("ready-2", CommandTimeout, at);
            using (var cli = SharpVirtProcess.Start("vm", "snapshot", "--socket", socket, "--to", snapshot))
            {
                Assert.Equal(0, cli.WaitForExit(CommandTimeout));
            }

            using var stop = SharpVirtProcess.Start("vm", "stop", "--socket", socket);
            Assert.Equal(0, stop.WaitForExit(CommandTimeout));
            Assert.Equal(0, source.WaitForExit(CommandTimeout));
        }

        var restoredSocket = Path.Combine(_dir, "dev2.sock");
        using var restored = SharpVirtProcess.Start("vmm", "--restore", snapshot, "--api-socket", restoredSocket);
        // The disk reads what was written before the snapshot and takes new writes; the hwrng gives bytes.
        restored.Type("dd if=/dev/vda bs=9 count=1 2>/dev/null; echo; echo second-$((6*7)) | dd of=/dev/vda bs=512 seek=8 conv=fsync 2>/dev/null; echo rng-$(head -c 64 /dev/hwrng | wc -c)");
        var at2 = restored.WaitFor("first-42", CommandTimeout);
        at2 = restored.WaitFor("rng-64", CommandTimeout, at2);
        using var api = new VmmApi(restoredSocket);
        api.WaitUntilListening(TimeSpan.FromSeconds(20));
        Assert.True(api.Get("/metrics", "devices.vda.counters.write_requests").GetInt64() > 0);
        // The balloon still answers: a new target is taken and the guest gives the pages.
        api.Expect(204, "PATCH", "/balloon", "{\"amount_mib\":8}");
        var deadline = DateTime.UtcNow + CommandTimeout;
        while (api.Get("/balloon/statistics", "actual_mib").GetInt64() != 8 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(500);
        }

        Assert.Equal(8, api.Get("/balloon/statistics", "actual_mib").GetInt64());
        restored.Type("poweroff");
        Assert.Equal(0, restored.WaitForExit(CommandTimeout));
        var block = new byte[10];
        using var file = File.OpenRead(image);
        file.Seek(8 * 512, SeekOrigin.Begin);
        file.ReadExactly(block);
        Assert.Equal("second-42\n", System.Text.Encoding.ASCII.GetString(block));
    }

    [KvmFact]
    public void The_network_card_keeps_working_after_a_restore_on_the_same_tap()
    {
        const string Tap = "svsnap0";
        using var ns = new HostNamespace();
        // A tap that outlives both VMMs (the VMM opens an existing one), with the host's address on it.
        ns.Exec("ip", "tuntap", "add", Tap, "mode", "tap");
        ns.Exec("ip", "addr", "add", "10.251.0.1/24", "dev", Tap);
        ns.Exec("ip", "link", "set", Tap, "up");
        var socket = Path.Combine(_dir, "net.sock");
        var snapshot = Path.Combine(_dir, "net-snap");
        using (var source = SharpVirtProcess.StartInNamespace(ns.Name, "run", "--net", $"tap={Tap}", "--api-socket", socket))
        {
            var at = source.WaitFor("SHARPVIRT-READY", BootTimeout);
            at = source.WaitFor("~ # ", CommandTimeout, at);
            source.Type("ip addr add 10.251.0.2/24 dev eth0; ip link set eth0 up; ping -c 2 10.251.0.1 >/dev/null; echo ping-rc=$?");
            source.WaitFor("ping-rc=0", CommandTimeout, at);
            using (var cli = SharpVirtProcess.Start("vm", "snapshot", "--socket", socket, "--to", snapshot))
            {
                Assert.Equal(0, cli.WaitForExit(CommandTimeout));
            }

            using var stop = SharpVirtProcess.Start("vm", "stop", "--socket", socket);
            Assert.Equal(0, stop.WaitForExit(CommandTimeout));
            Assert.Equal(0, source.WaitForExit(CommandTimeout));
        }

        using var restored = SharpVirtProcess.StartInNamespace(ns.Name, "vmm", "--restore", snapshot);
        // The guest's address, routes and card are as they were; both sides reach each other again.
        restored.Type("ping -c 3 10.251.0.1 >/dev/null; echo again-rc=$?");
        restored.WaitFor("again-rc=0", CommandTimeout);
        Assert.Contains("3 packets received", ns.Exec("busybox", "ping", "-c", "3", "10.251.0.2"));
        restored.Type("poweroff");
        Assert.Equal(0, restored.WaitForExit(CommandTimeout));
    }

    [KvmFact]
    public void Restoring_a_damaged_snapshot_fails_with_one_line_naming_the_file_and_the_reason()
    {
        var damaged = Path.Combine(_dir, "damaged");
        Directory.CreateDirectory(damaged);
        File.WriteAllText(Path.Combine(damaged, "state"), "SVSNAPST but not much more");
        using var vmm = SharpVirtProcess.Start("vmm", "--restore", damaged);
        Assert.Equal(1, vmm.WaitForExit(CommandTimeout));
        Assert.Contains($"sharpvirt: --restore: {damaged}/state: truncated", vmm.Output, StringComparison.Ordinal);
    }

    private static int Number(Match match) => int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"started-(\d+)")]
    private static partial Regex Started();

    [GeneratedRegex(@"source-(\d+)")]
    private static partial Regex Source();

    [GeneratedRegex(@"restored-(\d+)-(\w+)")]
    private static partial Regex Restored();

    [GeneratedRegex(@"later-(\d+)")]
    private static partial Regex Later();

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
