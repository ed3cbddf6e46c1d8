using SharpVirt.Contracts;

namespace SharpVirt.Cli.Arguments;

/// <summary>Parses the <c>--net</c>, <c>--balloon</c>, <c>--vsock</c> and <c>--console</c> values into config records.</summary>
internal static class DeviceArguments
{
    /// <summary><c>--net tap=NAME[,mac=MAC][,id=NAME][,rx-bps=RATE][,rx-pps=N][,tx-bps=RATE][,tx-pps=N]</c>.</summary>
    internal static NetworkInterfaceConfig Net(string text)
    {
        var args = KeyValueArgument.Parse("--net", text, "tap=tap0,mac=52:54:00:12:34:56",
            "tap", "mac", "id", "rx-bps", "rx-pps", "tx-bps", "tx-pps");
        return new NetworkInterfaceConfig
        {
            HostDevName = args.Require("tap"),
            GuestMac = args.Get("mac"),
            IfaceId = args.Get("id"),
            RxRateLimiter = args.RateLimit("rx-bps", "rx-pps"),
            TxRateLimiter = args.RateLimit("tx-bps", "tx-pps"),
        };
    }

    /// <summary><c>--balloon [size=MIB][,deflate-on-oom=on][,stats=SECONDS][,reporting=on|off]</c> (no value: the defaults).</summary>
    internal static BalloonConfig Balloon(string? text)
    {
        var args = KeyValueArgument.Parse("--balloon", text ?? "", "size=128M,stats=5", "size", "deflate-on-oom", "stats", "reporting");
        long size = 0;
        if (args.Get("size") is { } sizeText)
        {
            size = SizeParser.ParseMib(sizeText, out var error) ?? throw new ConfigException("--balloon", $"size={sizeText}: {error}");
        }

        return new BalloonConfig
        {
            AmountMib = size,
            DeflateOnOom = args.Switch("deflate-on-oom", absent: false),
            StatsPollingIntervalS = (int)(args.Number("stats", 0, 3600) ?? 0),
            FreePageReporting = args.Switch("reporting", absent: true),
        };
    }

    /// <summary><c>--vsock cid=N,socket=PATH</c>.</summary>
    internal static VsockConfig Vsock(string text)
    {
        var args = KeyValueArgument.Parse("--vsock", text, "cid=3,socket=/tmp/vm.vsock", "cid", "socket");
        args.Require("cid");
        return new VsockConfig { GuestCid = (uint)args.Number("cid", 0, uint.MaxValue)!.Value, UdsPath = args.Require("socket") };
    }

    /// <summary><c>--console socket=PATH</c> or <c>--console file=PATH</c>.</summary>
    internal static ConsoleConfig Console(string text)
    {
        var args = KeyValueArgument.Parse("--console", text, "socket=/tmp/vm.console", "socket", "file");
        var socket = args.Get("socket");
        var file = args.Get("file");
        if ((socket is null) == (file is null))
        {
            throw new ConfigException("--console", "give socket=PATH or file=PATH");
        }

        return new ConsoleConfig { SocketPath = socket, OutputPath = file };
    }
}
