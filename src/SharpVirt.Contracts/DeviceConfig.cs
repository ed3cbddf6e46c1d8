using System.Text.Json.Serialization;

namespace SharpVirt.Contracts;

/// <summary>A disk: a raw image file on the host.</summary>
public sealed record DriveConfig
{
    /// <summary>A name for the drive (API and messages); defaults to vda, vdb, ... by position.</summary>
    [JsonPropertyName("drive_id")]
    public string? DriveId { get; set; }

    /// <summary>The raw image file.</summary>
    [JsonPropertyName("path_on_host")]
    public required string PathOnHost { get; set; }

    /// <summary>Whether the guest may only read it.</summary>
    [JsonPropertyName("is_read_only")]
    public bool IsReadOnly { get; set; }

    /// <summary>The serial number the guest reads (VIRTIO_BLK_T_GET_ID, /sys/block/vdX/serial), up to 20 bytes.</summary>
    [JsonPropertyName("serial")]
    public string? Serial { get; set; }

    /// <summary>Limits on bytes (read and written) and requests; null = unlimited.</summary>
    [JsonPropertyName("rate_limiter")]
    public RateLimiterConfig? RateLimiter { get; set; }
}

/// <summary>A network card on a host tap device.</summary>
public sealed record NetworkInterfaceConfig
{
    /// <summary>A name for the card (API and messages); defaults to eth0, eth1, ... by position.</summary>
    [JsonPropertyName("iface_id")]
    public string? IfaceId { get; set; }

    /// <summary>The tap device: opened if it exists (ip tuntap add ...), created for the VM's lifetime if not.</summary>
    [JsonPropertyName("host_dev_name")]
    public required string HostDevName { get; set; }

    /// <summary>The guest's MAC address, "52:54:00:12:34:56"; null = a random one with QEMU's 52:54:00 prefix.</summary>
    [JsonPropertyName("guest_mac")]
    public string? GuestMac { get; set; }

    /// <summary>Limits on what the guest receives; null = unlimited.</summary>
    [JsonPropertyName("rx_rate_limiter")]
    public RateLimiterConfig? RxRateLimiter { get; set; }

    /// <summary>Limits on what the guest sends; null = unlimited.</summary>
    [JsonPropertyName("tx_rate_limiter")]
    public RateLimiterConfig? TxRateLimiter { get; set; }
}

/// <summary>A rate limit: a bandwidth bucket (bytes) and an operations bucket (requests or frames), either optional.</summary>
public sealed record RateLimiterConfig
{
    /// <summary>Bytes.</summary>
    [JsonPropertyName("bandwidth")]
    public TokenBucketConfig? Bandwidth { get; set; }

    /// <summary>Operations (requests or frames).</summary>
    [JsonPropertyName("ops")]
    public TokenBucketConfig? Ops { get; set; }
}

/// <summary>A token bucket, as Firecracker's: <c>size</c> tokens refilled every <c>refill_time</c> ms, plus a one-time burst.</summary>
public sealed record TokenBucketConfig
{
    /// <summary>Tokens the bucket holds.</summary>
    [JsonPropertyName("size")]
    public required long Size { get; set; }

    /// <summary>Extra tokens usable once at the start.</summary>
    [JsonPropertyName("one_time_burst")]
    public long OneTimeBurst { get; set; }

    /// <summary>Milliseconds to refill from empty to full.</summary>
    [JsonPropertyName("refill_time")]
    public required long RefillTime { get; set; }
}

/// <summary>The virtio entropy device. It has no settings.</summary>
public sealed record EntropyConfig;

/// <summary>The virtio memory balloon: memory the guest gives back to the host.</summary>
public sealed record BalloonConfig
{
    /// <summary>How much memory (MiB) the balloon should hold, taken from the guest; 0 = none yet.</summary>
    [JsonPropertyName("amount_mib")]
    public long AmountMib { get; set; }

    /// <summary>Whether the guest may take pages back from the balloon when it runs out of memory.</summary>
    [JsonPropertyName("deflate_on_oom")]
    public bool DeflateOnOom { get; set; }

    /// <summary>Seconds between guest memory statistics updates; 0 = no statistics.</summary>
    [JsonPropertyName("stats_polling_interval_s")]
    public int StatsPollingIntervalS { get; set; }

    /// <summary>Whether pages the guest frees are reported and returned to the host (free page reporting).</summary>
    [JsonPropertyName("free_page_reporting")]
    public bool FreePageReporting { get; set; } = true;
}

/// <summary>A virtio socket device; its host side is a Unix socket (Firecracker's hybrid vsock).</summary>
public sealed record VsockConfig
{
    /// <summary>The guest's context id (3 or more).</summary>
    [JsonPropertyName("guest_cid")]
    public required uint GuestCid { get; set; }

    /// <summary>
    /// The Unix socket the VMM listens on: a host program connects and writes "CONNECT port\n" to reach a guest
    /// listener; a guest connecting to host port P reaches the program listening on "uds_path_P".
    /// </summary>
    [JsonPropertyName("uds_path")]
    public required string UdsPath { get; set; }
}

/// <summary>A virtio console (hvc0): on a Unix socket the VMM listens on, or written to a file. Exactly one of the two.</summary>
public sealed record ConsoleConfig
{
    /// <summary>A Unix socket the VMM creates; a client connected to it (socat, nc -U) reads and types on hvc0.</summary>
    [JsonPropertyName("socket_path")]
    public string? SocketPath { get; set; }

    /// <summary>A file the guest's hvc0 output is appended to.</summary>
    [JsonPropertyName("output_path")]
    public string? OutputPath { get; set; }
}
