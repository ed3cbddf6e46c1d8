using SharpVirt.Contracts.Manager;
using SharpVirt.Manager.Supervision;

namespace SharpVirt.Manager.Tests;

/// <summary>What an ended VMM run means for the VM's state and the restart policy.</summary>
public sealed class ExitVerdictTests
{
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(5);

    private static VmmExitReport Report(string outcome, string message = "m") => new() { Outcome = outcome, Message = message, ExitCode = 0 };

    [Theory]
    [InlineData("power_off", "no", "stopped", false)]
    [InlineData("power_off", "on-failure", "stopped", false)]
    [InlineData("power_off", "always", "stopped", true)]
    [InlineData("reboot", "on-failure", "stopped", false)]
    [InlineData("panic", "no", "crashed", false)]
    [InlineData("panic", "on-failure", "crashed", true)]
    [InlineData("error", "on-failure", "crashed", true)]
    [InlineData("migrated", "always", "stopped", false)]
    public void Each_outcome_under_each_policy(string outcome, string policy, string state, bool restart)
    {
        var verdict = ExitVerdict.Judge(Report(outcome), "exit code 0", null, Policy(policy), Long, quickRestarts: 0);
        Assert.Equal(state, ManagerNames.Of(verdict.State));
        Assert.Equal(restart, verdict.Restart);
    }

    [Fact]
    public void A_vmm_that_died_without_a_report_is_a_failure_and_says_its_status()
    {
        var verdict = ExitVerdict.Judge(null, "killed by signal 9", null, RestartPolicy.OnFailure, Long, 0);
        Assert.Equal(ManagedVmState.Crashed, verdict.State);
        Assert.True(verdict.Restart);
        Assert.Contains("killed by signal 9", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_users_stop_is_never_restarted_even_under_always()
    {
        var verdict = ExitVerdict.Judge(null, "killed by signal 9", "stopped by the user: forced off", RestartPolicy.Always, Long, 0);
        Assert.Equal(ManagedVmState.Stopped, verdict.State);
        Assert.False(verdict.Restart);
        Assert.Equal("stopped by the user: forced off", verdict.Reason);
    }

    [Fact]
    public void Quick_restarts_stop_after_the_cap_but_a_long_run_is_restarted_again()
    {
        var capped = ExitVerdict.Judge(Report("panic"), null, null, RestartPolicy.OnFailure, Short, ExitVerdict.MaxQuickRestarts);
        Assert.False(capped.Restart);
        Assert.Equal(ManagedVmState.Crashed, capped.State);
        Assert.Contains("not restarted", capped.Reason, StringComparison.Ordinal);

        Assert.True(ExitVerdict.Judge(Report("panic"), null, null, RestartPolicy.OnFailure, Short, ExitVerdict.MaxQuickRestarts - 1).Restart);
        Assert.True(ExitVerdict.Judge(Report("panic"), null, null, RestartPolicy.OnFailure, Long, ExitVerdict.MaxQuickRestarts).Restart);
    }

    private static RestartPolicy Policy(string name) => name switch
    {
        "no" => RestartPolicy.No,
        "on-failure" => RestartPolicy.OnFailure,
        _ => RestartPolicy.Always,
    };
}
