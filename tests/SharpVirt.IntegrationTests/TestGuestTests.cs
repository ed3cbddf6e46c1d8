using SharpVirt.Vmm;
using SharpVirt.Vmm.Cpu;

namespace SharpVirt.IntegrationTests;

/// <summary>Small purpose-built guests (tests/guests) on real /dev/kvm.</summary>
public sealed class TestGuestTests
{
    [KvmFact]
    public void Uart_output_reaches_the_console_and_acpi_s5_powers_off()
    {
        var run = GuestRun.Boot("uart");
        Assert.Contains("UART-TEST hello from the guest\n", run.Console);
        Assert.Equal(VmOutcomeKind.PowerOff, run.Outcome.Kind);
        Assert.Equal(0, run.Outcome.ExitCode);
    }

    [KvmFact]
    public void A_guest_larger_than_the_32_bit_hole_boots_with_ram_split_around_it()
    {
        var run = GuestRun.Boot("uart", memoryMib: 5 * 1024);
        Assert.Contains("UART-TEST hello", run.Console);
        Assert.Equal(VmOutcomeKind.PowerOff, run.Outcome.Kind);
    }

    [KvmTheory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void Every_vcpu_starts_when_the_boot_cpu_sends_init_and_startup_ipis(int vcpus)
    {
        var run = GuestRun.Boot("smp", vcpus);
        Assert.Contains($"SMP-TEST application processors up: {vcpus - 1}\n", run.Console);
        Assert.Equal(VmOutcomeKind.PowerOff, run.Outcome.Kind);
    }

    [KvmFact]
    public void I8042_reset_command_reboots_the_guest()
    {
        var run = GuestRun.Boot("reboot");
        Assert.Contains("REBOOT-TEST resetting", run.Console);
        Assert.Equal(VmOutcomeKind.Reboot, run.Outcome.Kind);
    }

    [KvmFact]
    public void Emulation_assist_completes_int3_cmpxchg16b_fwait_and_mxcsr_instructions_in_kernel_mode()
    {
        var run = GuestRun.Boot("emulation");
        Assert.Contains("EMULATION-TEST int3 ok", run.Console);
        Assert.Contains("EMULATION-TEST cmpxchg16b ok", run.Console);
        Assert.Contains("EMULATION-TEST fwait ok", run.Console);
        Assert.Contains("EMULATION-TEST mxcsr fnclex emms ok", run.Console);
        Assert.DoesNotContain("failed", run.Console);
        Assert.Equal(VmOutcomeKind.PowerOff, run.Outcome.Kind);
        // Each count is the VMM's own: on a host whose KVM emulates these itself they would be 0.
        Assert.InRange(run.Int3Completed, 0, 1);
        Assert.InRange(run.CmpXchg16bCompleted, 0, 2);
    }

    [KvmFact]
    public void An_instruction_the_host_cannot_emulate_stops_the_guest_with_rip_and_bytes()
    {
        var run = GuestRun.Boot("xrstor");
        if (run.Outcome.Kind == VmOutcomeKind.PowerOff)
        {
            // A VT-x/AMD-V host runs xrstor natively: the guest goes on and powers off.
            Assert.Contains("XRSTOR-TEST survived", run.Console);
            return;
        }

        Assert.Equal(VmOutcomeKind.Error, run.Outcome.Kind);
        Assert.Equal(2, run.Outcome.ExitCode);
        Assert.Matches("RIP 0x1000[0-9a-f]{2} \\(xrstor; bytes: 48 0f ae 2f", run.Outcome.Message);
    }

    [KvmFact]
    public async Task A_paused_guest_runs_no_code_until_it_is_resumed()
    {
        const ulong counter = 0x300000; // tests/guests/counter.S
        using var vm = VmBuilder.Build(CounterSpec(), new ConsoleBackend(Stream.Null));
        var run = vm.RunAsync();
        WaitFor(() => vm.Memory.Read<ulong>(counter) > 1000, "the guest to start counting");
        for (var round = 0; round < 10; round++)
        {
            Assert.True(vm.Pause());
            Assert.False(vm.Pause()); // already paused
            Assert.All(vm.Vcpus, v => Assert.Equal(VcpuState.Paused, v.State));
            Assert.False(vm.Vcpus[0].Fd.NotifyClockStopped()); // this guest has no kvmclock: KVM says EINVAL, no throw
            var frozen = vm.Memory.Read<ulong>(counter);
            Thread.Sleep(round == 0 ? 300 : 20);
            Assert.Equal(frozen, vm.Memory.Read<ulong>(counter));
            Assert.True(vm.Resume());
            Assert.False(vm.Resume());
            WaitFor(() => vm.Memory.Read<ulong>(counter) > frozen, "the resumed guest to count on");
        }

        Assert.False(run.IsCompleted);
        vm.Exit.Set(new VmOutcome(VmOutcomeKind.UserQuit, "test done"));
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [KvmFact]
    public async Task A_paused_guest_can_be_stopped()
    {
        using var vm = VmBuilder.Build(CounterSpec(), new ConsoleBackend(Stream.Null));
        var run = vm.RunAsync();
        WaitFor(() => vm.Memory.Read<ulong>(0x300000) > 0, "the guest to start counting");
        Assert.True(vm.Pause());
        vm.Exit.Set(new VmOutcome(VmOutcomeKind.UserQuit, "quit while paused"));
        await run.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.All(vm.Vcpus, v => Assert.Equal(VcpuState.Exited, v.State));
        Assert.False(vm.Resume()); // nothing to run any more
        Assert.False(vm.Pause());
    }

    private static VmSpec CounterSpec() => new()
    {
        Kernel = TestGuests.Get("counter"),
        KernelName = "counter.elf",
        Cmdline = "",
        VcpuCount = 1,
        MemoryBytes = 64UL << 20,
        CpuTemplate = CpuTemplate.Compat,
    };

    private static void WaitFor(Func<bool> condition, string what)
    {
        if (!SpinWait.SpinUntil(condition, TimeSpan.FromSeconds(20)))
        {
            Assert.Fail($"timed out waiting for {what}");
        }
    }
}
