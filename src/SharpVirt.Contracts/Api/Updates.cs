using System.Text.Json.Serialization;

namespace SharpVirt.Contracts.Api;

/// <summary>The body of <c>PATCH /balloon</c>: a new target for a running guest's balloon.</summary>
public sealed record BalloonUpdate
{
    /// <summary>MiB the balloon should hold.</summary>
    [JsonPropertyName("amount_mib")]
    public required long AmountMib { get; set; }
}

/// <summary>The answer of <c>GET /balloon</c> once the guest runs: the target, what the guest gave, its statistics.</summary>
public sealed record BalloonInfo
{
    /// <summary>MiB the balloon should hold.</summary>
    [JsonPropertyName("target_mib")]
    public required long TargetMib { get; init; }

    /// <summary>MiB the guest has put in the balloon.</summary>
    [JsonPropertyName("actual_mib")]
    public required long ActualMib { get; init; }

    /// <summary>The guest's last memory statistics (bytes), if it sent any.</summary>
    [JsonPropertyName("statistics")]
    public IReadOnlyDictionary<string, long>? Statistics { get; init; }
}

/// <summary>The body of <c>PATCH /drives/{id}</c>: a new backing file or rate limit for a running disk.</summary>
public sealed record DriveUpdate
{
    /// <summary>The drive's id (must match the path's).</summary>
    [JsonPropertyName("drive_id")]
    public string? DriveId { get; set; }

    /// <summary>A new raw image: the guest sees the new contents and size (a config-change interrupt tells it).</summary>
    [JsonPropertyName("path_on_host")]
    public string? PathOnHost { get; set; }

    /// <summary>A new rate limit; an object with neither bucket removes the limit.</summary>
    [JsonPropertyName("rate_limiter")]
    public RateLimiterConfig? RateLimiter { get; set; }
}

/// <summary>The body of <c>PATCH /network-interfaces/{id}</c>: new rate limits for a running card.</summary>
public sealed record NetworkInterfaceUpdate
{
    /// <summary>The card's id (must match the path's).</summary>
    [JsonPropertyName("iface_id")]
    public string? IfaceId { get; set; }

    /// <summary>A new receive limit; an object with neither bucket removes it.</summary>
    [JsonPropertyName("rx_rate_limiter")]
    public RateLimiterConfig? RxRateLimiter { get; set; }

    /// <summary>A new transmit limit; an object with neither bucket removes it.</summary>
    [JsonPropertyName("tx_rate_limiter")]
    public RateLimiterConfig? TxRateLimiter { get; set; }
}

/// <summary>The answer of <c>GET /metrics</c>: every device's counters, by device name.</summary>
public sealed record MetricsReport
{
    /// <summary>The guest's state.</summary>
    [JsonPropertyName("state")]
    public required VmState State { get; init; }

    /// <summary>Counters of the VMM itself (exits handled, instructions emulated).</summary>
    [JsonPropertyName("vmm")]
    public required IReadOnlyDictionary<string, long> Vmm { get; init; }

    /// <summary>Per device: its kind and its counters.</summary>
    [JsonPropertyName("devices")]
    public required IReadOnlyDictionary<string, DeviceMetrics> Devices { get; init; }
}

/// <summary>One device's counters.</summary>
public sealed record DeviceMetrics
{
    /// <summary>"block", "net", "rng", "balloon", "vsock", "console".</summary>
    [JsonPropertyName("kind")]
    public required string Kind { get; init; }

    /// <summary>Counter name to value.</summary>
    [JsonPropertyName("counters")]
    public required IReadOnlyDictionary<string, long> Counters { get; init; }
}
