using System.Text.Json.Serialization;

namespace SharpVirt.Contracts.Manager;

/// <summary>
/// What a VMM writes to its <c>--exit-report</c> file just before it exits, so that whoever supervises it (even a
/// manager that restarted meanwhile and is not its parent) learns how the guest ended.
/// </summary>
public sealed record VmmExitReport
{
    /// <summary>How the guest ended: power_off, reboot, panic, user_quit, migrated or error.</summary>
    [JsonPropertyName("outcome")]
    public required string Outcome { get; init; }

    /// <summary>The VMM's message for people.</summary>
    [JsonPropertyName("message")]
    public required string Message { get; init; }

    /// <summary>The process exit code.</summary>
    [JsonPropertyName("exit_code")]
    public int ExitCode { get; init; }
}
