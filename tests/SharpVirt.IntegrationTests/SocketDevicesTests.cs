using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace SharpVirt.IntegrationTests;

/// <summary>virtio-vsock and virtio-console with the real default guest, their host sides Unix sockets of this test.</summary>
public sealed partial class SocketDevicesTests : IDisposable
{
    private static readonly TimeSpan BootTimeout = TimeSpan.FromMinutes(4);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(90);
    private readonly string _dir = Directory.CreateTempSubdirectory("sv-sock-").FullName;

    private string Vsock => Path.Combine(_dir, "v.sock");

    private string Console => Path.Combine(_dir, "hvc0.sock");

    [KvmFact]
    public void Vsock_connects_both_ways_and_hvc0_carries_output_and_input()
    {
        using var vmm = SharpVirtProcess.Start("run", "--vsock", $"cid=3,socket={Vsock}", "--console", $"socket={Console}");
        var at = vmm.WaitFor("SHARPVIRT-READY", BootTimeout);
        at = vmm.WaitFor("~ # ", CommandTimeout, at);

        // Host to guest: the guest listens on port 5000, a host program says CONNECT 5000 on the VMM's socket.
        vmm.Type("vsock listen 5000 > /tmp/in < /dev/null & sleep 1; echo listening");
        at = vmm.WaitFor("\nlistening", CommandTimeout, at);
        var sent = RandomNumberGenerator.GetBytes(64 * 1024);
        using (var host = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { ReceiveTimeout = 30000 })
        {
            host.Connect(new UnixDomainSocketEndPoint(Vsock));
            host.Send("CONNECT 5000\n"u8);
            Assert.Matches("^OK [0-9]+$", ReadLine(host));
            host.Send(sent);
        }

        vmm.Type("wait; sha256sum /tmp/in");
        var sum = vmm.WaitForMatch(Sha256Line(), CommandTimeout, at);
        at = sum.Index + sum.Length;
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(sent)), sum.Groups[1].Value);

        // Guest to host: the guest connects to CID 2 port 6000, which is the program listening on v.sock_6000.
        using (var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            listener.Bind(new UnixDomainSocketEndPoint($"{Vsock}_6000"));
            listener.Listen(1);
            vmm.Type("vsock connect 2 6000 < /tmp/in; echo up-rc=$?");
            using var from = listener.Accept();
            from.ReceiveTimeout = 30000;
            Assert.Equal(sent, ReadToEnd(from));
        }

        at = vmm.WaitFor("up-rc=0", CommandTimeout, at);

        // hvc0: output to the socket's client, and what the client types reaches the guest.
        using var console = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { ReceiveTimeout = 30000 };
        console.Connect(new UnixDomainSocketEndPoint(Console));
        Thread.Sleep(200);
        vmm.Type("echo hello-from-hvc0 > /dev/hvc0");
        Assert.Equal("hello-from-hvc0", ReadLine(console).TrimEnd('\r'));
        vmm.Type("read -t 30 line < /dev/hvc0; echo \"hvc0 said:$line\"");
        Thread.Sleep(1000);
        console.Send("typed-on-hvc0\n"u8);
        at = vmm.WaitFor("hvc0 said:typed-on-hvc0", CommandTimeout, at);

        vmm.Keys("\u0001c");
        vmm.Type("info metrics");
        at = vmm.WaitFor("vsock (vsock): ", CommandTimeout, at);
        var metrics = vmm.WaitForMatch(MetricLine(), CommandTimeout, at);
        Assert.Equal("2", metrics.Groups[1].Value); // connections_opened
        vmm.Keys("\u0001c");
        vmm.Type("poweroff");
        Assert.Equal(0, vmm.WaitForExit(CommandTimeout));
        Assert.False(File.Exists(Vsock), "the VMM left its vsock socket behind");
    }

    [Theory]
    [InlineData("--vsock", "cid=2,socket=/tmp/x.sock", "vsock.guest_cid: 2: must be from 3 to")]
    [InlineData("--vsock", "cid=3", "--vsock: socket= is missing")]
    [InlineData("--vsock", "cid=3,socket=/nonexistent-dir/v.sock", "vsock.uds_path: /nonexistent-dir: no such directory")]
    [InlineData("--console", "tty=1", "--console: unknown key 'tty' (known: socket, file)")]
    [InlineData("--console", "socket=/tmp/a,file=/tmp/b", "--console: give socket=PATH or file=PATH")]
    [InlineData("--balloon", "size=300", "balloon.amount_mib: 300 MiB: must be from 0 to less than the guest's 256 MiB")]
    [InlineData("--balloon", "stats=-1", "--balloon: stats=-1: must be a whole number from 0 to 3600")]
    public void Bad_device_options_name_the_field(string option, string value, string expected)
    {
        var kernel = Path.Combine(_dir, "uart.elf");
        File.WriteAllBytes(kernel, TestGuests.Get("uart"));
        using var vmm = SharpVirtProcess.Start("run", "--kernel", kernel, option, value);
        Assert.Equal(1, vmm.WaitForExit(TimeSpan.FromSeconds(20)));
        Assert.Contains(expected, vmm.Output);
    }

    private static string ReadLine(Socket socket)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (socket.Receive(one) == 1 && one[0] != '\n')
        {
            line.Append((char)one[0]);
        }

        return line.ToString();
    }

    private static byte[] ReadToEnd(Socket socket)
    {
        var all = new MemoryStream();
        var buffer = new byte[65536];
        int n;
        while ((n = socket.Receive(buffer)) > 0)
        {
            all.Write(buffer, 0, n);
        }

        return all.ToArray();
    }

    [GeneratedRegex("([0-9a-f]{64})  /tmp/in")]
    private static partial Regex Sha256Line();

    [GeneratedRegex("connections_opened=([0-9]+)")]
    private static partial Regex MetricLine();

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
