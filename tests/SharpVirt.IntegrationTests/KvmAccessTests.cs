using SharpVirt.Interop.Kvm;

namespace SharpVirt.IntegrationTests;

/// <summary>What a user sees when KVM cannot be used: which case it is and what to do.</summary>
public sealed class KvmAccessTests
{
    [Fact]
    public void A_missing_kvm_device_says_so_and_what_to_do()
    {
        var e = Assert.Throws<KvmUnavailableException>(() => KvmSystem.Open("/nonexistent/kvm"));
        Assert.Equal(KvmUnavailableReason.Missing, e.Reason);
        Assert.Contains("/nonexistent/kvm does not exist", e.Message);
        Assert.Contains("load the kvm module", e.Message);
    }

    [KvmFact]
    public void A_user_without_permission_on_dev_kvm_is_told_to_join_the_kvm_group()
    {
        if (Environment.UserName != "root")
        {
            // Only root can switch to an unprivileged user for this check; CI runs as root.
            Assert.True(Environment.GetEnvironmentVariable("CI") != "true", "CI must run the tests as root");
            return;
        }

        var kernel = Path.Combine(Path.GetTempPath(), $"sv-kvm-perm-{Environment.ProcessId}.elf");
        File.WriteAllBytes(kernel, TestGuests.Get("uart"));
        File.SetUnixFileMode(kernel, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        try
        {
            // nobody (65534) may read the kernel but not open /dev/kvm (mode 0600 root, or 0660 group kvm).
            using var vmm = SharpVirtProcess.StartAs("65534", "run", "--kernel", kernel);
            Assert.Equal(1, vmm.WaitForExit(TimeSpan.FromSeconds(20)));
            Assert.Equal("sharpvirt: no permission to open /dev/kvm: run as root or add your user to the 'kvm' group " +
                         "(sudo usermod -aG kvm $USER, then log in again)", vmm.Output.Trim());
        }
        finally
        {
            File.Delete(kernel);
        }
    }

    [Fact]
    public void An_unreadable_kernel_is_named_with_permission_denied()
    {
        if (Environment.UserName != "root")
        {
            Assert.True(Environment.GetEnvironmentVariable("CI") != "true", "CI must run the tests as root");
            return;
        }

        var kernel = Path.Combine(Path.GetTempPath(), $"sv-unreadable-{Environment.ProcessId}.elf");
        File.WriteAllBytes(kernel, [0x7f, (byte)'E', (byte)'L', (byte)'F']);
        File.SetUnixFileMode(kernel, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        try
        {
            using var vmm = SharpVirtProcess.StartAs("65534", "run", "--kernel", kernel);
            Assert.Equal(1, vmm.WaitForExit(TimeSpan.FromSeconds(20)));
            Assert.Equal($"sharpvirt: kernel_image_path: {kernel}: permission denied", vmm.Output.Trim());
        }
        finally
        {
            File.Delete(kernel);
        }
    }
}
