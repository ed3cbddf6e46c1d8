using System.Text;

namespace SharpVirt.IntegrationTests;

/// <summary>virtio-blk with the real default guest: two disk images, one read-only, checked on the host afterwards.</summary>
public sealed class DiskTests : IDisposable
{
    private static readonly TimeSpan BootTimeout = TimeSpan.FromMinutes(4);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);
    private readonly string _dir = Directory.CreateTempSubdirectory("sv-disk-").FullName;

    [KvmFact]
    public void Guest_reads_both_disks_writes_the_first_durably_and_cannot_write_the_read_only_one()
    {
        var data = MakeImage("data.img", 16 << 20, "SHARPVIRT-DISK-A");
        var readOnly = MakeImage("ro.img", 1 << 20, "SHARPVIRT-DISK-B");
        var readOnlyBefore = File.ReadAllBytes(readOnly);

        using var vmm = SharpVirtProcess.Start("run", "--disk", $"path={data},serial=SVDATA", "--disk", $"path={readOnly},readonly=on");
        var at = vmm.WaitFor("SHARPVIRT-READY", BootTimeout);
        at = vmm.WaitFor("~ # ", CommandTimeout, at);

        vmm.Type("head -c 16 /dev/vda; echo; head -c 16 /dev/vdb; echo; cat /sys/block/vda/serial; echo; cat /sys/block/vdb/ro");
        at = vmm.WaitFor("\nSHARPVIRT-DISK-A", CommandTimeout, at);
        at = vmm.WaitFor("\nSHARPVIRT-DISK-B", CommandTimeout, at);
        at = vmm.WaitFor("\nSVDATA", CommandTimeout, at);
        at = vmm.WaitFor("\n1", CommandTimeout, at);

        vmm.Type("echo GUEST-WROTE-THIS | dd of=/dev/vda bs=512 seek=100 conv=fsync 2>/dev/null; echo write-rc=$?");
        at = vmm.WaitFor("write-rc=0", CommandTimeout, at);
        vmm.Type("echo X | dd of=/dev/vdb 2>/dev/null; echo ro-rc=$?");
        at = vmm.WaitFor("ro-rc=1", CommandTimeout, at);

        // Discard the image's second MiB: the guest reads zeros there, and the host file gets a hole.
        vmm.Type("blkdiscard -o 1048576 -l 1048576 /dev/vda; echo discard-rc=$?");
        at = vmm.WaitFor("discard-rc=0", CommandTimeout, at);
        vmm.Type("echo max=$(cat /sys/block/vda/queue/discard_max_bytes) nonzero=$(dd if=/dev/vda bs=1M skip=1 count=1 2>/dev/null | tr -d '\\000' | wc -c)");
        at = vmm.WaitFor("max=2147483648 nonzero=0", CommandTimeout, at);

        vmm.Type("poweroff");
        Assert.Equal(0, vmm.WaitForExit(CommandTimeout));

        using var image = File.OpenRead(data);
        var sector = new byte[17];
        image.Position = 100 * 512;
        image.ReadExactly(sector);
        Assert.Equal("GUEST-WROTE-THIS\n", Encoding.ASCII.GetString(sector));
        Assert.Equal(readOnlyBefore, File.ReadAllBytes(readOnly));
        var discarded = new byte[1 << 20];
        image.Position = 1 << 20;
        image.ReadExactly(discarded);
        Assert.All(discarded, b => Assert.Equal(0, b));
        Assert.True(AllocatedBytes(data) <= (16 << 20) - (1 << 20), $"{AllocatedBytes(data)} bytes allocated after the discard");
    }

    [Fact]
    public void A_missing_disk_image_is_refused_naming_the_drive()
    {
        using var vmm = SharpVirtProcess.Start("run", "--kernel", Kernel(), "--disk", "path=/nonexistent.img");
        Assert.Equal(1, vmm.WaitForExit(TimeSpan.FromSeconds(20)));
        Assert.Contains("drives[0].path_on_host: /nonexistent.img: no such file", vmm.Output);
    }

    [Theory]
    [InlineData("file=x.img", "--disk: unknown key 'file' (known: path, readonly, serial, id, bps, iops)")]
    [InlineData("path=/etc/hostname,readonly=maybe", "--disk: readonly=maybe: use on or off")]
    [InlineData("readonly=on", "--disk: path= is missing")]
    [InlineData("path=/etc/hostname,serial=ABCDEFGHIJKLMNOPQRSTUVWXYZ", "drives[0].serial: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ' is 26 bytes")]
    public void Bad_disk_options_name_the_field(string disk, string expected)
    {
        using var vmm = SharpVirtProcess.Start("run", "--kernel", Kernel(), "--disk", disk);
        Assert.Equal(1, vmm.WaitForExit(TimeSpan.FromSeconds(20)));
        Assert.Contains(expected, vmm.Output);
    }

    /// <summary>A real (tiny) kernel file, so that only the disk option can be wrong.</summary>
    private string Kernel()
    {
        var path = Path.Combine(_dir, "uart.elf");
        File.WriteAllBytes(path, TestGuests.Get("uart"));
        return path;
    }

    /// <summary>Makes a fully allocated image (random bytes after the marker), so a discard has blocks to free.</summary>
    private string MakeImage(string name, int size, string marker)
    {
        var path = Path.Combine(_dir, name);
        var bytes = new byte[size];
        Random.Shared.NextBytes(bytes);
        Encoding.ASCII.GetBytes(marker).CopyTo(bytes, 0);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static long AllocatedBytes(string path) =>
        long.Parse(HostNamespace.Run("stat", "-c", "%b", path).Trim(), System.Globalization.CultureInfo.InvariantCulture) * 512;

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
