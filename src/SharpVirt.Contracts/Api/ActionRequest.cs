using System.Text.Json.Serialization;

namespace SharpVirt.Contracts.Api;

/// <summary>What <c>PUT /actions</c> asks the VMM to do.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<VmAction>))]
public enum VmAction
{
    /// <summary>Build the VM from the configuration given so far and boot it.</summary>
    [JsonStringEnumMemberName("start")]
    Start,
    /// <summary>Freeze every vCPU and device.</summary>
    [JsonStringEnumMemberName("pause")]
    Pause,
    /// <summary>Run a paused guest again.</summary>
    [JsonStringEnumMemberName("resume")]
    Resume,
    /// <summary>Write every disk's data to stable storage on the host (fdatasync of each image).</summary>
    [JsonStringEnumMemberName("flush")]
    Flush,
    /// <summary>Press the ACPI power button: a guest that handles the button shuts down.</summary>
    [JsonStringEnumMemberName("power_button")]
    PowerButton,
    /// <summary>Type Ctrl-Alt-Del on the guest's PS/2 keyboard: a Linux guest's init decides what it means.</summary>
    [JsonStringEnumMemberName("ctrl_alt_del")]
    CtrlAltDel,
    /// <summary>Stop the VM now, as pulling the plug (the process exits).</summary>
    [JsonStringEnumMemberName("stop")]
    Stop,
}

/// <summary>The body of <c>PUT /actions</c>.</summary>
public sealed record ActionRequest
{
    /// <summary>The action.</summary>
    [JsonPropertyName("action")]
    public required VmAction Action { get; set; }
}

/// <summary>The body of <c>PATCH /vm</c> (Firecracker's form of pause and resume).</summary>
public sealed record VmStateRequest
{
    /// <summary>"Paused" or "Resumed".</summary>
    [JsonPropertyName("state")]
    public required string State { get; set; }
}
