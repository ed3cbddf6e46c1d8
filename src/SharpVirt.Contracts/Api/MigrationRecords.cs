using System.Text.Json.Serialization;

namespace SharpVirt.Contracts.Api;

/// <summary>The body of <c>PUT /migrate</c>: move the running guest to the VMM listening there.</summary>
public sealed record MigrationRequest
{
    /// <summary>Where the destination listens (<c>sharpvirt vmm --incoming tcp:HOST:PORT</c>): "tcp:HOST:PORT".</summary>
    [JsonPropertyName("destination_url")]
    public required string DestinationUrl { get; set; }

    /// <summary>
    /// The longest pause the guest should see, in ms: memory is copied while it runs until what is left (written again
    /// meanwhile) would go in this time at the measured speed, then the guest stops for the rest. QEMU's default.
    /// </summary>
    [JsonPropertyName("downtime_limit_ms")]
    public int DowntimeLimitMs { get; set; } = 300;

    /// <summary>After this many copy rounds the guest is stopped for the rest even if it writes faster than the copy goes.</summary>
    [JsonPropertyName("max_rounds")]
    public int MaxRounds { get; set; } = 30;
}

/// <summary>Where a migration is.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MigrationState>))]
public enum MigrationState
{
    /// <summary>No migration was asked for.</summary>
    [JsonStringEnumMemberName("none")]
    None,
    /// <summary>Copying; the guest runs on here.</summary>
    [JsonStringEnumMemberName("active")]
    Active,
    /// <summary>The guest runs on the destination; this VMM ends.</summary>
    [JsonStringEnumMemberName("completed")]
    Completed,
    /// <summary>It failed (see error); the guest runs on here as before.</summary>
    [JsonStringEnumMemberName("failed")]
    Failed,
    /// <summary>Cancelled by the user; the guest runs on here as before.</summary>
    [JsonStringEnumMemberName("cancelled")]
    Cancelled,
}

/// <summary>The answer of <c>GET /migrate</c>: a migration's progress, or how it ended.</summary>
public sealed record MigrationStatus
{
    /// <summary>Where it is.</summary>
    [JsonPropertyName("state")]
    public required MigrationState State { get; init; }

    /// <summary>What it does now: "connecting", "precopy", "stop-and-copy", "handover" (while active).</summary>
    [JsonPropertyName("phase")]
    public string? Phase { get; init; }

    /// <summary>Where it goes.</summary>
    [JsonPropertyName("destination_url")]
    public string? DestinationUrl { get; init; }

    /// <summary>Copy rounds begun (the first copies all memory, each next one what the guest wrote meanwhile).</summary>
    [JsonPropertyName("round")]
    public int Round { get; init; }

    /// <summary>Guest RAM in bytes.</summary>
    [JsonPropertyName("memory_bytes")]
    public long MemoryBytes { get; init; }

    /// <summary>Bytes sent so far (pages of data; zero pages cost a few bytes each and are not counted).</summary>
    [JsonPropertyName("transferred_bytes")]
    public long TransferredBytes { get; init; }

    /// <summary>Bytes the guest wrote again since the last round began: what the next round has to send.</summary>
    [JsonPropertyName("dirty_bytes")]
    public long DirtyBytes { get; init; }

    /// <summary>The copy speed measured over the last round, in MiB/s.</summary>
    [JsonPropertyName("bandwidth_mib_s")]
    public double BandwidthMibPerSecond { get; init; }

    /// <summary>Milliseconds since it began.</summary>
    [JsonPropertyName("elapsed_ms")]
    public double ElapsedMs { get; init; }

    /// <summary>The downtime asked for.</summary>
    [JsonPropertyName("downtime_limit_ms")]
    public int DowntimeLimitMs { get; init; }

    /// <summary>Once completed: how long the guest was stopped (paused here until it ran there).</summary>
    [JsonPropertyName("downtime_ms")]
    public double? DowntimeMs { get; init; }

    /// <summary>Once failed: why.</summary>
    [JsonPropertyName("error")]
    public string? Error { get; init; }
}
