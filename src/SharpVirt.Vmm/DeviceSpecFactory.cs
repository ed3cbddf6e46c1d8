using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using SharpVirt.Contracts;

namespace SharpVirt.Vmm;

/// <summary>Validates the device parts of a <see cref="VmConfig"/>; each error names the JSON field and the reason.</summary>
internal static class DeviceSpecFactory
{
    /// <summary>The longest Unix socket path (sun_path holds 108 bytes with the NUL).</summary>
    private const int MaxSocketPath = 107;

    /// <summary>Room kept on a vsock socket path for the "_PORT" suffix of guest-initiated connections.</summary>
    private const int VsockPortSuffix = 11;

    internal static DriveSpec[] Drives(IReadOnlyList<DriveConfig> drives)
    {
        var result = new DriveSpec[drives.Count];
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < drives.Count; i++)
        {
            var d = drives[i];
            var field = $"drives[{i}]";
            var id = d.DriveId ?? "vd" + (char)('a' + i);
            if (!ids.Add(id))
            {
                throw new ConfigException($"{field}.drive_id", $"'{id}' is used by another drive");
            }

            CheckImagePath($"{field}.path_on_host", d.PathOnHost);

            if (d.Serial is { } serial && Encoding.UTF8.GetByteCount(serial) > 20)
            {
                throw new ConfigException($"{field}.serial", $"'{serial}' is {Encoding.UTF8.GetByteCount(serial)} bytes; virtio-blk serials hold at most 20");
            }

            result[i] = new DriveSpec(id, d.PathOnHost, d.IsReadOnly, d.Serial, RateLimit($"{field}.rate_limiter", d.RateLimiter));
        }

        return result;
    }

    /// <summary>Throws unless <paramref name="path"/> is an existing file (a disk image).</summary>
    internal static void CheckImagePath(string field, string path)
    {
        if (string.IsNullOrWhiteSpace(path) || !File.Exists(path))
        {
            throw new ConfigException(field, Directory.Exists(path) ? $"{path} is a directory, not an image file" : $"{path}: no such file");
        }
    }

    internal static NetSpec[] Nets(IReadOnlyList<NetworkInterfaceConfig> nets)
    {
        var result = new NetSpec[nets.Count];
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var taps = new HashSet<string>(StringComparer.Ordinal);
        var macs = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < nets.Count; i++)
        {
            var n = nets[i];
            var field = $"network-interfaces[{i}]";
            var id = n.IfaceId ?? $"eth{i}";
            if (!ids.Add(id))
            {
                throw new ConfigException($"{field}.iface_id", $"'{id}' is used by another interface");
            }

            var tap = n.HostDevName;
            if (string.IsNullOrEmpty(tap) || Encoding.UTF8.GetByteCount(tap) > 15 || tap.Any(c => c is '/' or ':' or '\0' || char.IsWhiteSpace(c)) || tap is "." or "..")
            {
                throw new ConfigException($"{field}.host_dev_name", $"'{tap}' is not an interface name (1 to 15 bytes, no '/', ':' or spaces)");
            }

            if (!taps.Add(tap))
            {
                throw new ConfigException($"{field}.host_dev_name", $"tap '{tap}' is used by another interface");
            }

            var mac = n.GuestMac is { } text ? ParseMac($"{field}.guest_mac", text) : RandomMac();
            var spec = new NetSpec(id, tap, mac, RateLimit($"{field}.rx_rate_limiter", n.RxRateLimiter), RateLimit($"{field}.tx_rate_limiter", n.TxRateLimiter));
            if (!macs.Add(spec.MacText))
            {
                throw new ConfigException($"{field}.guest_mac", $"{spec.MacText} is used by another interface");
            }

            result[i] = spec;
        }

        return result;
    }

    internal static BalloonSpec? Balloon(BalloonConfig? balloon, long memoryMib)
    {
        if (balloon is null)
        {
            return null;
        }

        if (balloon.AmountMib < 0 || balloon.AmountMib >= memoryMib)
        {
            throw new ConfigException("balloon.amount_mib", $"{balloon.AmountMib} MiB: must be from 0 to less than the guest's {memoryMib} MiB");
        }

        if (balloon.StatsPollingIntervalS is < 0 or > 3600)
        {
            throw new ConfigException("balloon.stats_polling_interval_s", $"{balloon.StatsPollingIntervalS}: must be from 0 (off) to 3600 seconds");
        }

        return new BalloonSpec(balloon.AmountMib, balloon.DeflateOnOom, TimeSpan.FromSeconds(balloon.StatsPollingIntervalS), balloon.FreePageReporting);
    }

    internal static VsockSpec? Vsock(VsockConfig? vsock, bool takeOver = false)
    {
        if (vsock is null)
        {
            return null;
        }

        // 0 (hypervisor), 1 (local), 2 (host) and 0xffffffff (any) are reserved.
        if (vsock.GuestCid is < 3 or uint.MaxValue)
        {
            throw new ConfigException("vsock.guest_cid", $"{vsock.GuestCid}: must be from 3 to {uint.MaxValue - 1} (0-2 and -1 are reserved)");
        }

        CheckSocketPath("vsock.uds_path", vsock.UdsPath, MaxSocketPath - VsockPortSuffix, takeOver);
        return new VsockSpec(vsock.GuestCid, vsock.UdsPath);
    }

    internal static ConsoleSpec? Console(ConsoleConfig? console, bool takeOver = false)
    {
        if (console is null)
        {
            return null;
        }

        if ((console.SocketPath is null) == (console.OutputPath is null))
        {
            throw new ConfigException("console", "give exactly one of socket_path and output_path");
        }

        if (console.SocketPath is { } socket)
        {
            CheckSocketPath("console.socket_path", socket, MaxSocketPath, takeOver);
        }
        else if (console.OutputPath is { } output)
        {
            CheckDirectory("console.output_path", output);
            if (Directory.Exists(output))
            {
                throw new ConfigException("console.output_path", $"{output} is a directory");
            }
        }

        return new ConsoleSpec(console.SocketPath, console.OutputPath);
    }

    /// <summary>Throws unless <paramref name="count"/> virtio devices fit the machine's slots.</summary>
    internal static void CheckDeviceCount(int count)
    {
        if (count > VirtioMmioSlots.Capacity)
        {
            throw new ConfigException("drives", $"{count} virtio devices (disks, network cards and the others): at most {VirtioMmioSlots.Capacity} fit");
        }
    }

    internal static RateLimitSpec? RateLimit(string field, RateLimiterConfig? limiter)
    {
        if (limiter is null || (limiter.Bandwidth is null && limiter.Ops is null))
        {
            return null;
        }

        return new RateLimitSpec(Bucket($"{field}.bandwidth", limiter.Bandwidth), Bucket($"{field}.ops", limiter.Ops));
    }

    private static BucketSpec? Bucket(string field, TokenBucketConfig? bucket)
    {
        if (bucket is null)
        {
            return null;
        }

        if (bucket.Size < 1)
        {
            throw new ConfigException($"{field}.size", $"{bucket.Size}: a bucket holds at least 1 token");
        }

        if (bucket.RefillTime is < 1 or > 3_600_000)
        {
            throw new ConfigException($"{field}.refill_time", $"{bucket.RefillTime}: must be from 1 to 3600000 ms");
        }

        if (bucket.OneTimeBurst < 0)
        {
            throw new ConfigException($"{field}.one_time_burst", $"{bucket.OneTimeBurst}: must not be negative");
        }

        return new BucketSpec(bucket.Size, bucket.OneTimeBurst, TimeSpan.FromMilliseconds(bucket.RefillTime));
    }

    /// <summary>Parses "52:54:00:12:34:56" (or with '-'); a multicast address is refused.</summary>
    internal static byte[] ParseMac(string field, string text)
    {
        var parts = text.Split(':', '-');
        var mac = new byte[6];
        if (parts.Length != 6 || parts.Any(p => p.Length != 2)
            || !parts.Select((p, i) => byte.TryParse(p, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out mac[i])).All(ok => ok))
        {
            throw new ConfigException(field, $"'{text}' is not a MAC address (example: 52:54:00:12:34:56)");
        }

        if ((mac[0] & 1) != 0)
        {
            throw new ConfigException(field, $"{text} is a multicast address; a card needs a unicast one (even first byte)");
        }

        return mac;
    }

    /// <summary>QEMU's locally administered prefix 52:54:00 and three random bytes.</summary>
    private static byte[] RandomMac()
    {
        var mac = new byte[] { 0x52, 0x54, 0x00, 0, 0, 0 };
        RandomNumberGenerator.Fill(mac.AsSpan(3));
        return mac;
    }

    private static void CheckSocketPath(string field, string path, int maxBytes, bool takeOver)
    {
        if (string.IsNullOrEmpty(path))
        {
            throw new ConfigException(field, "no path given");
        }

        if (Encoding.UTF8.GetByteCount(path) > maxBytes)
        {
            throw new ConfigException(field, $"'{path}' is longer than the {maxBytes} bytes a Unix socket path may have here");
        }

        CheckDirectory(field, path);
        if (Directory.Exists(path))
        {
            throw new ConfigException(field, $"{path} is a directory");
        }

        if (!File.Exists(path))
        {
            return;
        }

        if (!SharpVirt.Interop.FileKind.IsSocket(path))
        {
            throw new ConfigException(field, $"{path} exists and is not a socket; remove it or choose another path");
        }

        if (!takeOver && IsListening(path))
        {
            throw new ConfigException(field, $"{path} is in use by another process");
        }
    }

    private static void CheckDirectory(string field, string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null && !Directory.Exists(directory))
        {
            throw new ConfigException(field, $"{directory}: no such directory");
        }
    }

    private static bool IsListening(string path)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false; // a stale socket left by a VMM that died: the device replaces it
        }
    }
}
