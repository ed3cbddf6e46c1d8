using Microsoft.Extensions.Logging;

namespace SharpVirt.Manager;

/// <summary>The manager's log lines.</summary>
internal static partial class ManagerLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "{Vm}: {State} ({Reason})")]
    public static partial void StateChanged(ILogger logger, string vm, string state, string? reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Vm}: re-attached to its running VMM (pid {Pid})")]
    public static partial void Reattached(ILogger logger, string vm, int pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Vm}: {What} failed: {Reason}")]
    public static partial void Failed(ILogger logger, string vm, string what, string reason);
}
