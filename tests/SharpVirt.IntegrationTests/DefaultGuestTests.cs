namespace SharpVirt.IntegrationTests;

/// <summary>
/// End to end, as a user runs it: the shipped binary boots the default guest (guest/build-guest.sh) and the
/// test talks to its shell over the serial console. Each boot takes tens of seconds here (the guest kernel is
/// emulated on kvm_pvm hosts), so the suite boots a real kernel only these few times.
/// </summary>
public sealed class DefaultGuestTests
{
    private static readonly TimeSpan BootTimeout = TimeSpan.FromMinutes(4);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    [KvmFact]
    public void Default_guest_boots_to_a_shell_with_two_cpus_and_a_hwrng_computes_and_powers_off_with_exit_code_0()
    {
        using var vmm = SharpVirtProcess.Start("run", "--cpus", "2", "--rng");
        var at = vmm.WaitFor("SHARPVIRT-READY", BootTimeout);
        at = vmm.WaitFor("~ # ", CommandTimeout, at);

        vmm.Type("echo $((6*7))");
        at = vmm.WaitFor("\n42", CommandTimeout, at);

        vmm.Type("grep -c ^processor /proc/cpuinfo");
        at = vmm.WaitFor("\n2", CommandTimeout, at);

        // The virtio entropy device (virtio-mmio, found through the DSDT) serves /dev/hwrng.
        vmm.Type("cat /sys/class/misc/hw_random/rng_current; head -c 4096 /dev/hwrng | od -An -v -tx1 | wc -w");
        at = vmm.WaitFor("virtio_rng.0", CommandTimeout, at);
        at = vmm.WaitFor("\n4096", CommandTimeout, at);

        vmm.Type("poweroff");
        Assert.Equal(0, vmm.WaitForExit(CommandTimeout));
    }

    [KvmFact]
    public void A_guest_kernel_panic_from_a_config_file_boot_ends_the_vmm_with_exit_code_3_and_says_so()
    {
        var cache = Environment.GetEnvironmentVariable("SHARPVIRT_CACHE") is { Length: > 0 } c
            ? c
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "sharpvirt");
        var config = Path.Combine(Path.GetTempPath(), $"sv-panic-{Environment.ProcessId}.json");
        // No init at all: Linux panics with "No working init found".
        File.WriteAllText(config, $$"""
            {
              "boot-source": {
                "kernel_image_path": "{{Path.Combine(cache, "guest", "vmlinux-microvm")}}",
                "boot_args": "console=ttyS0 rdinit=/nonexistent init=/nonexistent"
              },
              "machine-config": { "vcpu_count": 1, "mem_size_mib": 128 }
            }
            """);
        try
        {
            using var vmm = SharpVirtProcess.Start("run", "--config", config);
            Assert.Equal(3, vmm.WaitForExit(BootTimeout));
            Assert.Contains("sharpvirt: the guest kernel panicked: Kernel panic - not syncing:", vmm.Output);
        }
        finally
        {
            File.Delete(config);
        }
    }

    [KvmFact]
    public void Ctrl_alt_del_from_the_vmm_reboots_the_guest_and_on_reboot_exit_ends_the_vmm()
    {
        var socket = Path.Combine(Path.GetTempPath(), $"sv-cad-{Environment.ProcessId}.sock");
        using var vmm = SharpVirtProcess.Start("run", "--on-reboot", "exit", "--api-socket", socket);
        var at = vmm.WaitFor("SHARPVIRT-READY", BootTimeout);
        vmm.WaitFor("~ # ", CommandTimeout, at);
        // The keys go through the i8042 to the guest's PS/2 keyboard driver; its init answers Ctrl-Alt-Del with a reboot.
        using (var cli = SharpVirtProcess.Start("vm", "ctrl-alt-del", "--socket", socket))
        {
            Assert.Equal(0, cli.WaitForExit(CommandTimeout));
        }

        Assert.Equal(0, vmm.WaitForExit(CommandTimeout));
        Assert.Contains("reboot: Restarting system", vmm.Output, StringComparison.Ordinal);
    }
}
