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
            source.Type("(i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 1; done) & echo marker > /root/file; sleep 2; echo started-$(cat /tmp/count)");
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
    public void A_snapshot_of_a_vm_with_virtio_devices_is_refused_naming_them_and_the_guest_runs_on()
    {
        var socket = Path.Combine(_dir, "rng.sock");
        using var vmm = SharpVirtProcess.Start("run", "--rng", "--api-socket", socket);
        var at = vmm.WaitFor("SHARPVIRT-READY", BootTimeout);
        at = vmm.WaitFor("~ # ", CommandTimeout, at);
        using (var cli = SharpVirtProcess.Start("vm", "snapshot", "--socket", socket, "--to", Path.Combine(_dir, "s")))
        {
            Assert.Equal(1, cli.WaitForExit(CommandTimeout));
            Assert.Contains("snapshots of virtio devices are not supported yet, and this VM has rng (HTTP 501)", cli.Output, StringComparison.Ordinal);
        }

        vmm.Type("echo alive-$((6*7))");
        vmm.WaitFor("alive-42", CommandTimeout, at);
        vmm.Type("poweroff");
        Assert.Equal(0, vmm.WaitForExit(CommandTimeout));
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
