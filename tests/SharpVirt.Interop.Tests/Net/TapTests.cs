using System.Diagnostics;
using SharpVirt.Interop.Net;

namespace SharpVirt.Interop.Tests.Net;

/// <summary>
/// A test that opens tap devices: it needs root (CAP_NET_ADMIN) and /dev/net/tun. Skipped with the reason where they are
/// missing, except in CI (CI=true), where both exist and their absence is a failure.
/// </summary>
public sealed class TapFactAttribute : FactAttribute
{
    public TapFactAttribute()
    {
        var ci = Environment.GetEnvironmentVariable("CI") == "true";
        if (!ci && !File.Exists("/dev/net/tun"))
        {
            Skip = "/dev/net/tun is not available on this machine";
        }
        else if (!ci && Environment.UserName != "root")
        {
            Skip = "creating tap devices needs root";
        }
    }
}

/// <summary>Tap devices for real: created and removed, attached to an existing one, refused with reasons.</summary>
public sealed class TapTests
{
    // Unique per test process; no address is ever given to these interfaces.
    private static string Name(string tag) => $"svt{tag}{Environment.ProcessId % 100000}";

    private static string Run(params string[] command)
    {
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in command[1..])
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{string.Join(' ', command)}: {output}");
        return output;
    }

    [TapFact]
    public void A_tap_that_does_not_exist_is_created_up_and_removed_with_its_descriptor()
    {
        var name = Name("n");
        using (var tap = Tap.Open(name))
        {
            Assert.True(tap.Created);
            Assert.Equal(name, tap.Name);
            Assert.True(Directory.Exists($"/sys/class/net/{name}"));
            var flags = Convert.ToInt32(File.ReadAllText($"/sys/class/net/{name}/flags").Trim(), 16);
            Assert.True((flags & 1) != 0, $"{name} is not up (flags 0x{flags:x})");
            tap.SetOffload(TunAbi.TUN_F_CSUM | TunAbi.TUN_F_TSO4 | TunAbi.TUN_F_TSO6);
            tap.SetOffload(0);
            // Non-blocking: once the link's own first frames (IPv6 solicitations sent as it came up) are read, a
            // read with nothing waiting returns at once.
            var frames = 0;
            while (tap.Read(new byte[2048]) >= 0)
            {
                Assert.True(++frames < 100, "the tap never ran dry");
            }
        }

        Assert.False(Directory.Exists($"/sys/class/net/{name}"));
    }

    [TapFact]
    public void A_tap_is_one_VMM_s_until_it_detaches_its_queue_for_another_and_can_attach_again()
    {
        var name = Name("m");
        using var first = Tap.Open(name);
        Assert.True(first.MultiQueue);
        var busy = Assert.Throws<TapException>(() => Tap.Open(name));
        Assert.Contains("in use by another process", busy.Message, StringComparison.Ordinal);

        Assert.True(first.Detach(out var why), why);
        using (var second = Tap.Open(name))
        {
            Assert.True(second.Detach(out why), why);
        }

        Assert.True(first.Attach(out why), why);
        Assert.Throws<TapException>(() => Tap.Open(name));
    }

    [TapFact]
    public void A_single_queue_tap_opens_but_cannot_be_handed_over()
    {
        var name = Name("s");
        Run("ip", "tuntap", "add", name, "mode", "tap");
        try
        {
            using var tap = Tap.Open(name);
            Assert.False(tap.MultiQueue);
            Assert.False(tap.Detach(out var why));
            Assert.Contains("multi_queue", why, StringComparison.Ordinal);
        }
        finally
        {
            Run("ip", "link", "del", name);
        }
    }

    [TapFact]
    public void An_existing_tap_is_attached_to_and_stays_after_the_vmm_lets_go()
    {
        var name = Name("e");
        Run("ip", "tuntap", "add", name, "mode", "tap");
        try
        {
            using (var tap = Tap.Open(name))
            {
                Assert.False(tap.Created);
                var second = Assert.Throws<TapException>(() => Tap.Open(name));
                Assert.Contains("in use by another process", second.Message);
            }

            Assert.True(Directory.Exists($"/sys/class/net/{name}"));
        }
        finally
        {
            Run("ip", "tuntap", "del", name, "mode", "tap");
        }
    }

    [Theory]
    [InlineData("a-name-longer-than-15")]
    [InlineData("with/slash")]
    public void Names_that_are_not_interface_names_are_refused(string name)
    {
        var e = Assert.Throws<TapException>(() => Tap.Open(name));
        Assert.Contains("is not an interface name", e.Message);
    }

    [TapFact]
    public void An_interface_that_is_not_a_tap_is_refused_with_the_reason()
    {
        var e = Assert.Throws<TapException>(() => Tap.Open("lo"));
        Assert.Contains("lo exists and is not a tap device", e.Message);
    }
}
