using System.Text.Json.Serialization;

namespace SharpVirt.Contracts.Api;

/// <summary>Where a VMM's guest is in its life.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<VmState>))]
public enum VmState
{
    /// <summary>Waiting for configuration and the start action.</summary>
    [JsonStringEnumMemberName("not-started")]
    NotStarted,
    /// <summary>The guest runs.</summary>
    [JsonStringEnumMemberName("running")]
    Running,
    /// <summary>The guest is frozen (pause, or a snapshot in progress).</summary>
    [JsonStringEnumMemberName("paused")]
    Paused,
    /// <summary>The guest has stopped for good; the process is ending.</summary>
    [JsonStringEnumMemberName("stopped")]
    Stopped,
}

/// <summary>The answer of <c>GET /</c>: what this VMM is and what its guest is doing.</summary>
public sealed record InstanceInfo
{
    /// <summary>The VMM's name for the instance (its process id unless given).</summary>
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    /// <summary>The guest's state.</summary>
    [JsonPropertyName("state")]
    public required VmState State { get; init; }

    /// <summary>The program ("sharpvirt").</summary>
    [JsonPropertyName("app_name")]
    public string AppName { get; init; } = "sharpvirt";

    /// <summary>The VMM's version.</summary>
    [JsonPropertyName("vmm_version")]
    public required string VmmVersion { get; init; }

    /// <summary>Seconds since the guest was started, 0 before.</summary>
    [JsonPropertyName("uptime_s")]
    public double UptimeSeconds { get; init; }

    /// <summary>Why the guest stopped, once it has.</summary>
    [JsonPropertyName("stop_reason")]
    public string? StopReason { get; init; }
}

/// <summary>An API error: the field at fault (if one is) and the reason.</summary>
public sealed record ApiError
{
    /// <summary>One line for people: "field: reason".</summary>
    [JsonPropertyName("fault_message")]
    public required string FaultMessage { get; init; }

    /// <summary>The JSON field or path parameter at fault, if any.</summary>
    [JsonPropertyName("field")]
    public string? Field { get; init; }

    /// <summary>Why it was refused.</summary>
    [JsonPropertyName("reason")]
    public required string Reason { get; init; }
}
