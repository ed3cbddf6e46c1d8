using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using SharpVirt.Interop.Events;
using SharpVirt.Interop.Net;

namespace SharpVirt.Interop.Tests.Net;

/// <summary>
/// The tap, epoll and stat values SharpVirt declares by hand, compared with what gcc prints from the kernel and libc
/// headers (as the KVM ABI test does for &lt;linux/kvm.h&gt;).
/// </summary>
public sealed class HostAbiTests
{
    private const string Source = """
        #include <stdio.h>
        #include <stddef.h>
        #include <sys/ioctl.h>
        #include <sys/epoll.h>
        #include <sys/stat.h>
        #include <net/if.h>
        #include <linux/if_tun.h>
        int main(void)
        {
            printf("TUNSETIFF %lu\n", (unsigned long)TUNSETIFF);
            printf("TUNSETOFFLOAD %lu\n", (unsigned long)TUNSETOFFLOAD);
            printf("TUNSETVNETHDRSZ %lu\n", (unsigned long)TUNSETVNETHDRSZ);
            printf("SIOCGIFFLAGS %lu\n", (unsigned long)SIOCGIFFLAGS);
            printf("SIOCSIFFLAGS %lu\n", (unsigned long)SIOCSIFFLAGS);
            printf("IFF_TAP %d\n", IFF_TAP);
            printf("IFF_NO_PI %d\n", IFF_NO_PI);
            printf("IFF_VNET_HDR %d\n", IFF_VNET_HDR);
            printf("IFF_UP %d\n", IFF_UP);
            printf("TUNSETQUEUE %lu\n", (unsigned long)TUNSETQUEUE);
            printf("IFF_MULTI_QUEUE %d\n", IFF_MULTI_QUEUE);
            printf("IFF_ATTACH_QUEUE %d\n", IFF_ATTACH_QUEUE);
            printf("IFF_DETACH_QUEUE %d\n", IFF_DETACH_QUEUE);
            printf("TUN_F_CSUM %d\n", TUN_F_CSUM);
            printf("TUN_F_TSO4 %d\n", TUN_F_TSO4);
            printf("TUN_F_TSO6 %d\n", TUN_F_TSO6);
            printf("TUN_F_TSO_ECN %d\n", TUN_F_TSO_ECN);
            printf("TUN_F_UFO %d\n", TUN_F_UFO);
            printf("IFNAMSIZ %d\n", IFNAMSIZ);
            printf("sizeof_ifreq %zu\n", sizeof(struct ifreq));
            printf("offsetof_ifreq_flags %zu\n", offsetof(struct ifreq, ifr_flags));
            printf("sizeof_epoll_event %zu\n", sizeof(struct epoll_event));
            printf("offsetof_stat_st_mode %zu\n", offsetof(struct stat, st_mode));
            printf("sizeof_stat %zu\n", sizeof(struct stat));
            return 0;
        }
        """;

    private static readonly Lazy<Dictionary<string, ulong>> Values = new(Probe);

    public static TheoryData<string, ulong> Declared => new()
    {
        { "TUNSETIFF", TunAbi.TUNSETIFF },
        { "TUNSETOFFLOAD", TunAbi.TUNSETOFFLOAD },
        { "TUNSETVNETHDRSZ", TunAbi.TUNSETVNETHDRSZ },
        { "SIOCGIFFLAGS", TunAbi.SIOCGIFFLAGS },
        { "SIOCSIFFLAGS", TunAbi.SIOCSIFFLAGS },
        { "IFF_TAP", (ulong)TunAbi.IFF_TAP },
        { "IFF_NO_PI", (ulong)TunAbi.IFF_NO_PI },
        { "IFF_VNET_HDR", (ulong)TunAbi.IFF_VNET_HDR },
        { "TUNSETQUEUE", TunAbi.TUNSETQUEUE },
        { "IFF_MULTI_QUEUE", (ulong)TunAbi.IFF_MULTI_QUEUE },
        { "IFF_ATTACH_QUEUE", (ulong)TunAbi.IFF_ATTACH_QUEUE },
        { "IFF_DETACH_QUEUE", (ulong)TunAbi.IFF_DETACH_QUEUE },
        { "IFF_UP", (ulong)TunAbi.IFF_UP },
        { "TUN_F_CSUM", TunAbi.TUN_F_CSUM },
        { "TUN_F_TSO4", TunAbi.TUN_F_TSO4 },
        { "TUN_F_TSO6", TunAbi.TUN_F_TSO6 },
        { "TUN_F_TSO_ECN", TunAbi.TUN_F_TSO_ECN },
        { "TUN_F_UFO", TunAbi.TUN_F_UFO },
        { "IFNAMSIZ", TunAbi.IFNAMSIZ },
        { "sizeof_ifreq", (ulong)Unsafe.SizeOf<IfReq>() },
        { "offsetof_ifreq_flags", TunAbi.IFNAMSIZ }, // IfReq.Flags follows the 16-byte name
        { "sizeof_epoll_event", (ulong)Unsafe.SizeOf<EpollEvent>() },
        { "offsetof_stat_st_mode", 24 }, // FileKind reads st_mode there
    };

    [Theory]
    [MemberData(nameof(Declared))]
    public void The_declared_value_matches_the_headers(string name, ulong declared) =>
        Assert.Equal(Values.Value[name], declared);

    [Fact]
    public void The_stat_buffer_of_file_kind_is_large_enough() => Assert.True(Values.Value["sizeof_stat"] <= 256);

    [Fact]
    public void File_kind_tells_sockets_from_other_files()
    {
        var dir = Directory.CreateTempSubdirectory("sv-kind-").FullName;
        try
        {
            var socketPath = Path.Combine(dir, "s");
            using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
            socket.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(socketPath));
            File.WriteAllText(Path.Combine(dir, "f"), "x");
            Assert.True(FileKind.IsSocket(socketPath));
            Assert.False(FileKind.IsSocket(Path.Combine(dir, "f")));
            Assert.False(FileKind.IsSocket(dir));
            Assert.False(FileKind.IsSocket(Path.Combine(dir, "missing")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static Dictionary<string, ulong> Probe()
    {
        var dir = Directory.CreateTempSubdirectory("sv-hostabi-").FullName;
        try
        {
            var c = Path.Combine(dir, "probe.c");
            var exe = Path.Combine(dir, "probe");
            File.WriteAllText(c, Source);
            Run("gcc", "-o", exe, c);
            return Run(exe).Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => line.Split(' '))
                .ToDictionary(p => p[0], p => ulong.Parse(p[1], CultureInfo.InvariantCulture));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program} failed ({KvmHeaderHint}): {errors}");
        return output;
    }

    private const string KvmHeaderHint = "needs gcc, libc6-dev and linux-libc-dev";
}
