using System.Text.Json.Serialization;

namespace SharpVirt.Contracts.Manager;

/// <summary>What the manager does when a VM's VMM ends without being asked to (libvirt's on_crash, Docker's --restart).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RestartPolicy>))]
public enum RestartPolicy
{
    /// <summary>Leave it stopped, with the reason recorded.</summary>
    [JsonStringEnumMemberName("no")]
    No,
    /// <summary>Start it again when it failed (a panic, a VMM error, the VMM killed), not when the guest powered off.</summary>
    [JsonStringEnumMemberName("on-failure")]
    OnFailure,
    /// <summary>Start it again whenever it ends, unless a user stopped it.</summary>
    [JsonStringEnumMemberName("always")]
    Always,
}

/// <summary>
/// A persistent VM definition (libvirt's "define"): the VMM's own config, plus what the manager does with it. Defining
/// a VM does not start it.
/// </summary>
public sealed record VmDefinition
{
    /// <summary>The VM's name: 1-63 characters, lower-case letters, digits, '-', '_' and '.', starting with a letter or digit.</summary>
    [JsonPropertyName("name")]
    public required string Name { get; set; }

    /// <summary>The VMM config it is started with (the same record as <c>sharpvirt vmm --config</c>).</summary>
    [JsonPropertyName("config")]
    public required VmConfig Config { get; set; }

    /// <summary>Start the VM when the daemon starts.</summary>
    [JsonPropertyName("autostart")]
    public bool Autostart { get; set; }

    /// <summary>What happens when its VMM ends on its own.</summary>
    [JsonPropertyName("restart_policy")]
    public RestartPolicy RestartPolicy { get; set; } = RestartPolicy.No;
}

/// <summary>The body of <c>PATCH /v1/vms/{name}</c>: the settings that can change on a defined VM.</summary>
public sealed record VmDefinitionUpdate
{
    /// <summary>Start the VM when the daemon starts; null leaves it.</summary>
    [JsonPropertyName("autostart")]
    public bool? Autostart { get; set; }

    /// <summary>The restart policy; null leaves it.</summary>
    [JsonPropertyName("restart_policy")]
    public RestartPolicy? RestartPolicy { get; set; }
}
