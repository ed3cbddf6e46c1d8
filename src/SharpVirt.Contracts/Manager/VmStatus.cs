using System.Text.Json.Serialization;

namespace SharpVirt.Contracts.Manager;

/// <summary>Where a managed VM is in its life.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ManagedVmState>))]
public enum ManagedVmState
{
    /// <summary>Defined, not running.</summary>
    [JsonStringEnumMemberName("stopped")]
    Stopped,
    /// <summary>Its VMM process is being started.</summary>
    [JsonStringEnumMemberName("starting")]
    Starting,
    /// <summary>Its VMM process runs the guest.</summary>
    [JsonStringEnumMemberName("running")]
    Running,
    /// <summary>Its guest is frozen.</summary>
    [JsonStringEnumMemberName("paused")]
    Paused,
    /// <summary>A graceful stop is under way (the power button was pressed).</summary>
    [JsonStringEnumMemberName("stopping")]
    Stopping,
    /// <summary>Its VMM ended on its own with a failure, and the restart policy did not start it again.</summary>
    [JsonStringEnumMemberName("crashed")]
    Crashed,
}

/// <summary>A managed VM as the daemon reports it: its definition's essentials and its current state.</summary>
public sealed record VmStatus
{
    /// <summary>The VM's name.</summary>
    [JsonPropertyName("name")]
    public required string Name { get; init; }

    /// <summary>Its state.</summary>
    [JsonPropertyName("state")]
    public required ManagedVmState State { get; init; }

    /// <summary>vCPUs.</summary>
    [JsonPropertyName("vcpus")]
    public int Vcpus { get; init; }

    /// <summary>Guest memory in MiB.</summary>
    [JsonPropertyName("memory_mib")]
    public long MemoryMib { get; init; }

    /// <summary>The VMM's process id while it runs.</summary>
    [JsonPropertyName("pid")]
    public int? Pid { get; init; }

    /// <summary>The VMM's API socket while it runs (for <c>sharpvirt vm ... --socket</c>).</summary>
    [JsonPropertyName("api_socket")]
    public string? ApiSocket { get; init; }

    /// <summary>The file the serial console is written to.</summary>
    [JsonPropertyName("console_log")]
    public string? ConsoleLog { get; init; }

    /// <summary>Why it is in this state: how the last run ended, or who started it.</summary>
    [JsonPropertyName("reason")]
    public string? Reason { get; init; }

    /// <summary>When it entered this state (UTC, ISO 8601).</summary>
    [JsonPropertyName("since")]
    public DateTimeOffset Since { get; init; }

    /// <summary>Times the restart policy has started it again since a user last started it.</summary>
    [JsonPropertyName("restarts")]
    public int Restarts { get; init; }

    /// <summary>Start it when the daemon starts.</summary>
    [JsonPropertyName("autostart")]
    public bool Autostart { get; init; }

    /// <summary>The restart policy.</summary>
    [JsonPropertyName("restart_policy")]
    public RestartPolicy RestartPolicy { get; init; }
}

/// <summary>What <c>PUT /v1/vms/{name}/state</c> asks for.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<VmStateAction>))]
public enum VmStateAction
{
    /// <summary>Start its VMM and boot it.</summary>
    [JsonStringEnumMemberName("start")]
    Start,
    /// <summary>Press the power button, wait up to the timeout for the guest to power off, then stop it by force.</summary>
    [JsonStringEnumMemberName("stop")]
    Stop,
    /// <summary>Stop it now (pulling the plug).</summary>
    [JsonStringEnumMemberName("force_stop")]
    ForceStop,
    /// <summary>Freeze the guest.</summary>
    [JsonStringEnumMemberName("pause")]
    Pause,
    /// <summary>Run a frozen guest again.</summary>
    [JsonStringEnumMemberName("resume")]
    Resume,
}

/// <summary>The body of <c>PUT /v1/vms/{name}/state</c>.</summary>
public sealed record VmStateChange
{
    /// <summary>The action.</summary>
    [JsonPropertyName("action")]
    public required VmStateAction Action { get; set; }

    /// <summary>For stop: seconds to wait for the guest to power off before forcing it (default 30).</summary>
    [JsonPropertyName("timeout_s")]
    public int? TimeoutSeconds { get; set; }
}

/// <summary>The answer of <c>GET /v1/vms</c>.</summary>
public sealed record VmList
{
    /// <summary>Every defined VM, by name.</summary>
    [JsonPropertyName("vms")]
    public required IReadOnlyList<VmStatus> Vms { get; init; }
}
