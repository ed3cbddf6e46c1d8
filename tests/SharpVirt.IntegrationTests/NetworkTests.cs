using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace SharpVirt.IntegrationTests;

/// <summary>
/// virtio-net with the real default guest on a tap the VMM creates inside a network namespace this test makes:
/// ping both ways and a TCP transfer each way with busybox nc, the bytes compared on the host.
/// </summary>
public sealed partial class NetworkTests : IDisposable
{
    private const string Tap = "svtap0";
    private const string HostAddress = "10.250.0.1";
    private const string GuestAddress = "10.250.0.2";
    private const string Mac = "52:54:00:12:34:56";
    private static readonly TimeSpan BootTimeout = TimeSpan.FromMinutes(4);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(90);
    private readonly string _dir = Directory.CreateTempSubdirectory("sv-net-").FullName;

    [KvmFact]
    public void Guest_and_host_ping_each_other_and_move_data_both_ways_over_tcp()
    {
        using var ns = new HostNamespace();
        using var vmm = SharpVirtProcess.StartInNamespace(ns.Name, "run", "--net", $"tap={Tap},mac={Mac}");
        var at = vmm.WaitFor("SHARPVIRT-READY", BootTimeout);
        at = vmm.WaitFor("~ # ", CommandTimeout, at);
        ns.WaitForLink(Tap, TimeSpan.FromSeconds(5));
        ns.Exec("ip", "addr", "add", $"{HostAddress}/24", "dev", Tap);
        Assert.Contains("UP", ns.Exec("ip", "-br", "link", "show", Tap)); // the VMM brought the tap it created up

        vmm.Type($"cat /sys/class/net/eth0/address; ip addr add {GuestAddress}/24 dev eth0; ip link set eth0 up; ping -c 3 {HostAddress} >/dev/null; echo ping-rc=$?");
        at = vmm.WaitFor($"\n{Mac}", CommandTimeout, at);
        at = vmm.WaitFor("ping-rc=0", CommandTimeout, at);
        Assert.Contains("3 packets received", ns.Exec("busybox", "ping", "-c", "3", GuestAddress));

        // Host to guest: the guest listens, the host sends 256 KiB of random bytes.
        var sent = RandomNumberGenerator.GetBytes(256 * 1024);
        var sentPath = Path.Combine(_dir, "sent.bin");
        File.WriteAllBytes(sentPath, sent);
        vmm.Type("nc -l -p 5556 > /tmp/down & sleep 1; echo listening");
        at = vmm.WaitFor("\nlistening", CommandTimeout, at);
        ns.Exec("sh", "-c", $"busybox nc {GuestAddress} 5556 < {sentPath}");
        vmm.Type("wait; sha256sum /tmp/down");
        var sum = vmm.WaitForMatch(Sha256Line(), CommandTimeout, at);
        at = sum.Index + sum.Length;
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(sent)), sum.Groups[1].Value);

        // Guest to host: the host listens, the guest sends back what it received. (busybox nc as a listener stops after
        // 1 KiB when its own stdin is at EOF, so the host side is a few lines of Python.)
        var receivedPath = Path.Combine(_dir, "received.bin");
        var receiver = $"import socket; s = socket.create_server(('{HostAddress}', 5555)); c, _ = s.accept(); "
            + $"f = open('{receivedPath}', 'wb'); [f.write(b) for b in iter(lambda: c.recv(65536), b'')]; f.close()";
        using (var listener = ns.Start("python3", "-c", receiver))
        {
            Thread.Sleep(500);
            vmm.Type($"nc {HostAddress} 5555 < /tmp/down; echo up-rc=$?");
            at = vmm.WaitFor("up-rc=0", CommandTimeout, at);
            Assert.True(listener.WaitForExit(TimeSpan.FromSeconds(30)), "the host listener did not see the connection end");
        }

        Assert.Equal(sent, File.ReadAllBytes(receivedPath));
        vmm.Type("poweroff");
        Assert.Equal(0, vmm.WaitForExit(CommandTimeout));
    }

    [Theory]
    [InlineData("mac=52:54:00:12:34:56", "--net: tap= is missing")]
    [InlineData("tap=tap0,speed=10", "--net: unknown key 'speed' (known: tap, mac, id, rx-bps, rx-pps, tx-bps, tx-pps)")]
    [InlineData("tap=tap0,mac=01:00:5e:00:00:01", "network-interfaces[0].guest_mac: 01:00:5e:00:00:01 is a multicast address")]
    [InlineData("tap=tap0,mac=52:54:00:12:34", "network-interfaces[0].guest_mac: '52:54:00:12:34' is not a MAC address")]
    [InlineData("tap=a-name-longer-than-15", "network-interfaces[0].host_dev_name: 'a-name-longer-than-15' is not an interface name")]
    [InlineData("tap=tap0,rx-bps=fast", "--net: rx-bps=fast: 'fast' is not a byte count")]
    [InlineData("tap=tap0,tx-pps=0", "--net: tx-pps=0: must be a whole number from 1 to")]
    public void Bad_network_options_name_the_field(string net, string expected)
    {
        var kernel = Path.Combine(_dir, "uart.elf");
        File.WriteAllBytes(kernel, TestGuests.Get("uart"));
        using var vmm = SharpVirtProcess.Start("run", "--kernel", kernel, "--net", net);
        Assert.Equal(1, vmm.WaitForExit(TimeSpan.FromSeconds(20)));
        Assert.Contains(expected, vmm.Output);
    }

    [GeneratedRegex("([0-9a-f]{64})  /tmp/down")]
    private static partial Regex Sha256Line();

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
