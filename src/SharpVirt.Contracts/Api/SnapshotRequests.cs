using System.Text.Json.Serialization;

namespace SharpVirt.Contracts.Api;

/// <summary>The body of <c>PUT /snapshot/create</c>.</summary>
public sealed record SnapshotCreateRequest
{
    /// <summary>The directory to write the snapshot into (created if missing): its files "state" and "memory".</summary>
    [JsonPropertyName("snapshot_path")]
    public required string SnapshotPath { get; set; }
}

/// <summary>The body of <c>PUT /snapshot/load</c> (before start): restore a snapshot instead of booting.</summary>
public sealed record SnapshotLoadRequest
{
    /// <summary>The snapshot directory.</summary>
    [JsonPropertyName("snapshot_path")]
    public required string SnapshotPath { get; set; }

    /// <summary>Whether the guest runs at once (else it stays paused until resume).</summary>
    [JsonPropertyName("resume_vm")]
    public bool ResumeVm { get; set; } = true;
}

/// <summary>What a snapshot took.</summary>
public sealed record SnapshotReport
{
    /// <summary>The snapshot directory.</summary>
    [JsonPropertyName("snapshot_path")]
    public required string SnapshotPath { get; init; }

    /// <summary>Guest RAM in bytes.</summary>
    [JsonPropertyName("memory_bytes")]
    public required long MemoryBytes { get; init; }

    /// <summary>Bytes of guest RAM written (the non-zero pages; the rest are holes in the file).</summary>
    [JsonPropertyName("memory_bytes_written")]
    public required long MemoryBytesWritten { get; init; }

    /// <summary>Milliseconds the guest was paused for it.</summary>
    [JsonPropertyName("paused_ms")]
    public required double PausedMs { get; init; }
}
