using SharpVirt.Contracts.Manager;

namespace SharpVirt.Manager.Supervision;

/// <summary>What an ended VMM run means: the state to record, why, and whether the restart policy starts it again.</summary>
public sealed record ExitVerdict(ManagedVmState State, string Reason, bool Restart)
{
    /// <summary>Restarts in a row, each after a run shorter than <see cref="StableRun"/>, before the manager gives up.</summary>
    public const int MaxQuickRestarts = 5;

    /// <summary>A run at least this long resets the count of quick restarts.</summary>
    public static readonly TimeSpan StableRun = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Judges one ended run: <paramref name="report"/> is what the VMM wrote on exit (null if it died without a word),
    /// <paramref name="status"/> its exit status when known, <paramref name="stopRequest"/> what a user asked for
    /// (null if nobody asked), <paramref name="quickRestarts"/> the restarts so far after short runs.
    /// </summary>
    public static ExitVerdict Judge(VmmExitReport? report, string? status, string? stopRequest, RestartPolicy policy,
        TimeSpan ranFor, int quickRestarts)
    {
        if (stopRequest is not null)
        {
            return new ExitVerdict(ManagedVmState.Stopped, stopRequest, Restart: false);
        }

        var failed = report is null || report.Outcome is "panic" or "error";
        var reason = report is null
            ? $"the VMM ended without reporting how the guest ended ({status ?? "its exit status went to another parent"})"
            : report.Outcome switch
            {
                "power_off" => "the guest powered off",
                "reboot" => "the guest rebooted (on_reboot is exit)",
                "migrated" => "the guest migrated to another VMM",
                _ => report.Message,
            };
        if (report is { Outcome: "migrated" })
        {
            return new ExitVerdict(ManagedVmState.Stopped, reason, Restart: false);
        }

        var wanted = policy == RestartPolicy.Always || (failed && policy == RestartPolicy.OnFailure);
        if (wanted && ranFor < StableRun && quickRestarts >= MaxQuickRestarts)
        {
            return new ExitVerdict(failed ? ManagedVmState.Crashed : ManagedVmState.Stopped,
                $"{reason}; not restarted: {MaxQuickRestarts} restarts in a row each ran under {StableRun.TotalSeconds:0} s", Restart: false);
        }

        return new ExitVerdict(failed ? ManagedVmState.Crashed : ManagedVmState.Stopped, reason, wanted);
    }
}
