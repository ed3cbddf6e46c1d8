namespace SharpVirt.Vmm.Tests;

public sealed class VmOutcomeTests
{
    [Theory]
    [InlineData(VmOutcomeKind.PowerOff, 0)]
    [InlineData(VmOutcomeKind.Reboot, 0)]
    [InlineData(VmOutcomeKind.UserQuit, 0)]
    [InlineData(VmOutcomeKind.Migrated, 0)]
    [InlineData(VmOutcomeKind.Panic, 3)]
    [InlineData(VmOutcomeKind.Error, 2)]
    public void Each_outcome_maps_to_its_process_exit_code(VmOutcomeKind kind, int exitCode) =>
        Assert.Equal(exitCode, new VmOutcome(kind, "m").ExitCode);
}

public sealed class VmExitSignalTests
{
    [Fact]
    public async Task The_first_outcome_wins_and_later_ones_are_refused()
    {
        var signal = new VmExitSignal();
        Assert.False(signal.IsSet);
        Assert.False(signal.Outcome.IsCompleted);

        Assert.True(signal.Set(new VmOutcome(VmOutcomeKind.Panic, "first")));
        Assert.False(signal.Set(new VmOutcome(VmOutcomeKind.PowerOff, "second")));

        Assert.True(signal.IsSet);
        Assert.True(signal.Outcome.IsCompletedSuccessfully);
        Assert.Equal(new VmOutcome(VmOutcomeKind.Panic, "first"), await signal.Outcome);
    }

    [Fact]
    public async Task Among_racing_threads_exactly_one_outcome_is_recorded()
    {
        var signal = new VmExitSignal();
        using var start = new Barrier(8);
        var winners = 0;
        var threads = Enumerable.Range(0, 8).Select(i => new Thread(() =>
        {
            start.SignalAndWait();
            if (signal.Set(new VmOutcome(VmOutcomeKind.Error, $"thread {i}")))
            {
                Interlocked.Increment(ref winners);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Equal(1, winners);
        Assert.StartsWith("thread ", (await signal.Outcome).Message);
    }

    [Fact]
    public async Task Awaiting_the_outcome_completes_when_it_is_set()
    {
        var signal = new VmExitSignal();
        var waiting = signal.Outcome;
        _ = Task.Run(() => signal.Set(new VmOutcome(VmOutcomeKind.Reboot, "reset")));
        var outcome = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(VmOutcomeKind.Reboot, outcome.Kind);
    }
}
