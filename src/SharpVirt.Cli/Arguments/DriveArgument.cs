using SharpVirt.Contracts;

namespace SharpVirt.Cli.Arguments;

/// <summary>Parses <c>--disk path=FILE[,readonly=on|off][,serial=TEXT][,id=NAME][,bps=RATE][,iops=N]</c>.</summary>
internal static class DriveArgument
{
    /// <summary>The drive described by one <c>--disk</c> value.</summary>
    internal static DriveConfig Parse(string text)
    {
        var args = KeyValueArgument.Parse("--disk", text, "path=disk.img,readonly=on", "path", "readonly", "serial", "id", "bps", "iops");
        return new DriveConfig
        {
            PathOnHost = args.Require("path"),
            IsReadOnly = args.Switch("readonly", absent: false),
            Serial = args.Get("serial"),
            DriveId = args.Get("id"),
            RateLimiter = args.RateLimit("bps", "iops"),
        };
    }
}
