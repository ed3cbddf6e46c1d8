using SharpVirt.Devices.RateLimiting;

namespace SharpVirt.Vmm;

/// <summary>A validated disk.</summary>
/// <param name="Id">Its name.</param>
/// <param name="Path">The raw image file (exists, is a regular file).</param>
/// <param name="ReadOnly">Whether the guest may only read it.</param>
/// <param name="Serial">The serial the guest reads, if any.</param>
/// <param name="RateLimit">Its rate limit, if any.</param>
public sealed record DriveSpec(string Id, string Path, bool ReadOnly, string? Serial, RateLimitSpec? RateLimit = null);

/// <summary>A validated network card.</summary>
/// <param name="Id">Its name.</param>
/// <param name="TapName">The host tap device (a valid interface name).</param>
/// <param name="Mac">The guest's MAC address (6 bytes, unicast).</param>
/// <param name="Rx">The receive rate limit, if any.</param>
/// <param name="Tx">The transmit rate limit, if any.</param>
public sealed record NetSpec(string Id, string TapName, byte[] Mac, RateLimitSpec? Rx, RateLimitSpec? Tx)
{
    /// <summary>The MAC as text (52:54:00:12:34:56).</summary>
    public string MacText => string.Join(':', Mac.Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
}

/// <summary>A validated rate limit: a bandwidth and an operations bucket, either optional.</summary>
public sealed record RateLimitSpec(BucketSpec? Bandwidth, BucketSpec? Ops)
{
    /// <summary>A fresh limiter (each device gets its own state).</summary>
    public RateLimiter Create() => new(Bandwidth?.Create(), Ops?.Create());
}

/// <summary>A validated token bucket.</summary>
public sealed record BucketSpec(long Size, long OneTimeBurst, TimeSpan RefillTime)
{
    /// <summary>A full bucket.</summary>
    public TokenBucket Create() => new(Size, RefillTime, OneTimeBurst);
}

/// <summary>A validated balloon.</summary>
/// <param name="AmountMib">The initial target: MiB the balloon holds.</param>
/// <param name="DeflateOnOom">Whether the guest may deflate it under memory pressure.</param>
/// <param name="StatsInterval">How often to ask for memory statistics; zero: never.</param>
/// <param name="FreePageReporting">Whether freed guest pages go back to the host.</param>
public sealed record BalloonSpec(long AmountMib, bool DeflateOnOom, TimeSpan StatsInterval, bool FreePageReporting);

/// <summary>A validated vsock device.</summary>
/// <param name="GuestCid">The guest's context id.</param>
/// <param name="UdsPath">The host Unix socket (its directory exists; no live socket is there).</param>
public sealed record VsockSpec(uint GuestCid, string UdsPath);

/// <summary>A validated virtio console: one of a socket path or an output file.</summary>
public sealed record ConsoleSpec(string? SocketPath, string? OutputPath);
