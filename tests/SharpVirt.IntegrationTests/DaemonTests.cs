using SharpVirt.Contracts.Manager;

namespace SharpVirt.IntegrationTests;

/// <summary>
/// sharpvirtd as a user drives it with the CLI: several VMs at once on real KVM, graceful and forced stops, a daemon
/// killed and restarted under running VMs, a VMM killed under a restart policy, and bad input refused.
/// </summary>
public sealed class DaemonTests
{
    private static readonly TimeSpan BootTimeout = TimeSpan.FromMinutes(4);
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(30);

    [KvmFact]
    public void Two_vms_run_at_once_a_graceful_stop_powers_the_guest_off_and_undefine_removes_them()
    {
        using var daemon = new DaemonHarness();
        var disk = daemon.File("web1.raw");
        using (var image = File.Create(disk))
        {
            image.SetLength(16 << 20);
        }

        Assert.Contains("web1: defined (1 vCPU, 256 MiB)", daemon.Ok("define", "web1", "--memory", "256M", "--disk", $"path={disk}"));
        daemon.Ok("define", "web2", "--memory", "128M", "--cpus", "2");
        Assert.Equal(["web1", "web2"], daemon.List().Select(vm => vm.Name));
        Assert.All(daemon.List(), vm => Assert.Equal(ManagedVmState.Stopped, vm.State));

        daemon.Ok("start", "web1");
        daemon.Ok("start", "web2");
        var web1 = daemon.Info("web1");
        var web2 = daemon.Info("web2");
        Assert.Equal(ManagedVmState.Running, web1.State);
        Assert.Equal(ManagedVmState.Running, web2.State);
        Assert.NotEqual(web1.Pid, web2.Pid);
        Assert.Contains("--id\0web1\0", File.ReadAllText($"/proc/{web1.Pid}/cmdline"), StringComparison.Ordinal);
        Assert.True(File.Exists(web1.ApiSocket), $"{web1.ApiSocket} is missing");
        var table = daemon.Ok("list");
        Assert.Matches(@"web1\s+running\s+1\s+256 MiB\s+\d+", table);
        Assert.Matches(@"web2\s+running\s+2\s+128 MiB\s+\d+", table);

        // The running VM's own API answers through the socket the daemon reports.
        var (infoCode, info) = DaemonHarness.Run("vm", "info", "--socket", web2.ApiSocket!);
        Assert.True(infoCode == 0, info);
        Assert.Contains("\"id\": \"web2\"", info, StringComparison.Ordinal);

        var (code, output) = daemon.Cli("start", "web1");
        Assert.Equal(1, code);
        Assert.Contains("web1: is already running (HTTP 409)", output, StringComparison.Ordinal);
        (code, output) = daemon.Cli("undefine", "web2");
        Assert.Equal(1, code);
        Assert.Contains("web2: is running: stop it first", output, StringComparison.Ordinal);

        // The disk's guest sees it; the power button powers the booted guest off.
        daemon.WaitForConsole("web1", "~ # ", BootTimeout);
        daemon.WaitForConsole("web1", "vda", Quick);
        var stopped = daemon.Ok("stop", "web1", "--timeout", "120");
        Assert.Contains("stopped by the user: the guest powered off after the power button", stopped, StringComparison.Ordinal);
        daemon.WaitForConsole("web1", "reboot: Power down", Quick);
        Assert.False(DaemonHarness.IsAlive(web1.Pid!.Value), "web1's VMM still runs after its stop");
        Assert.False(File.Exists(web1.ApiSocket), "web1's API socket is left behind");

        Assert.Contains("stopped by the user: forced off", daemon.Ok("stop", "web2", "--force"), StringComparison.Ordinal);
        Assert.All(daemon.List(), vm => Assert.Equal(ManagedVmState.Stopped, vm.State));

        Assert.Contains("web1: undefined", daemon.Ok("undefine", "web1"), StringComparison.Ordinal);
        daemon.Ok("undefine", "web2");
        Assert.Empty(daemon.List());
        Assert.True(File.Exists(disk), "undefine removed the VM's disk");
    }

    [KvmFact]
    public void A_killed_daemon_leaves_its_vms_running_the_next_one_reattaches_and_a_killed_vmm_follows_its_restart_policy()
    {
        using var daemon = new DaemonHarness();
        daemon.Ok("define", "keep", "--memory", "128M", "--restart-policy", "on-failure");
        daemon.Ok("define", "lose", "--memory", "128M");
        daemon.Ok("start", "keep");
        daemon.Ok("start", "lose");
        var keep = daemon.Info("keep");
        var lose = daemon.Info("lose");

        daemon.KillDaemon();
        Assert.True(DaemonHarness.IsAlive(keep.Pid!.Value), "a VMM died with the daemon");
        Assert.True(DaemonHarness.IsAlive(lose.Pid!.Value), "a VMM died with the daemon");

        daemon.StartDaemon();
        Assert.Equal(keep.Pid, daemon.Info("keep").Pid);
        Assert.Equal(ManagedVmState.Running, daemon.Info("keep").State);
        Assert.Equal(lose.Pid, daemon.Info("lose").Pid);
        daemon.Daemon.WaitFor("keep: re-attached to its running VMM", Quick);

        // A VMM killed from outside: on-failure starts it again, no leaves it crashed with why.
        DaemonHarness.Signal(keep.Pid!.Value, 9);
        var restarted = daemon.WaitUntil("keep", vm => vm.Restarts == 1 && vm.State == ManagedVmState.Running, Quick);
        Assert.NotEqual(keep.Pid, restarted.Pid);
        Assert.Contains("restarted by the restart policy", restarted.Reason, StringComparison.Ordinal);

        DaemonHarness.Signal(lose.Pid!.Value, 9);
        var crashed = daemon.WaitUntil("lose", vm => vm.State == ManagedVmState.Crashed, Quick);
        Assert.Null(crashed.Pid);
        Assert.Contains("the VMM ended without reporting how the guest ended", crashed.Reason, StringComparison.Ordinal);

        daemon.Ok("stop", "keep", "--force");
        Assert.Equal(ManagedVmState.Stopped, daemon.Info("keep").State);
    }

    [KvmFact]
    public void Bad_input_is_refused_naming_the_field_and_what_is_stored_stays()
    {
        using var daemon = new DaemonHarness();
        daemon.Ok("define", "good", "--memory", "128M", "--autostart");

        foreach (var (arguments, expected) in new (string[], string)[]
        {
            (["define", "Bad"], "name: 'Bad' must start with a lower-case letter or a digit (HTTP 400)"),
            (["define", "web/1"], "name: 'web/1' holds '/'"),
            (["define", "good", "--memory", "256M"], "name: a VM named 'good' is already defined (HTTP 409)"),
            (["define", "x", "--kernel", "/nonexistent/vmlinux"], "config.kernel_image_path: /nonexistent/vmlinux"),
            (["define", "x", "--cpus", "0"], "config.vcpu_count: 0 vCPUs"),
            (["define", "x", "--restart-policy", "sometimes"], "--restart-policy: 'sometimes': use no, on-failure or always"),
            (["start", "nosuch"], "name: no VM named 'nosuch' is defined (HTTP 404)"),
            (["stop", "good"], "good: is stopped, not running (HTTP 409)"),
            (["stop", "good", "--timeout", "99999"], "timeout_s: 99999: use 0 to 3600 seconds"),
            (["autostart", "good", "maybe"], "on|off: 'maybe': use on or off"),
            (["list", "--output", "yaml"], "--output: 'yaml': use table or json"),
        })
        {
            var (code, output) = daemon.Cli(arguments);
            Assert.True(code == 1, $"sharpvirt {string.Join(' ', arguments)} exited {code}:\n{output}");
            Assert.Contains(expected, output, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        }

        // A second daemon on the same state is refused; the first one keeps serving.
        using (var second = SharpVirtProcess.Start("daemon", "--state-dir", daemon.StateDirectory, "--run-dir", daemon.File("run2")))
        {
            Assert.Equal(1, second.WaitForExit(Quick));
            Assert.Contains("is in use by another sharpvirtd", second.Output, StringComparison.Ordinal);
        }

        var vm = Assert.Single(daemon.List());
        Assert.Equal("good", vm.Name);
        Assert.Equal(128, vm.MemoryMib);
        Assert.True(vm.Autostart);
        Assert.Equal(ManagedVmState.Stopped, vm.State);

        var (missingCode, missing) = DaemonHarness.Run("list", "--connect", daemon.File("nothing.sock"));
        Assert.Equal(1, missingCode);
        Assert.Contains("no such socket (is sharpvirtd running?)", missing, StringComparison.Ordinal);
    }
}
