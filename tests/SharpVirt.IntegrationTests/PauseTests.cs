using System.Text;

namespace SharpVirt.IntegrationTests;

/// <summary>Pausing and continuing the real default guest from the monitor, with a disk that must work afterwards.</summary>
public sealed class PauseTests : IDisposable
{
    private static readonly TimeSpan BootTimeout = TimeSpan.FromMinutes(4);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);
    private readonly string _dir = Directory.CreateTempSubdirectory("sv-pause-").FullName;

    [KvmFact]
    public void Monitor_stop_freezes_the_guest_and_cont_runs_it_on_with_its_disk()
    {
        var image = Path.Combine(_dir, "data.img");
        File.WriteAllBytes(image, new byte[4 << 20]);
        using var vmm = SharpVirtProcess.Start("run", "--disk", $"path={image}");
        var at = vmm.WaitFor("SHARPVIRT-READY", BootTimeout);
        at = vmm.WaitFor("~ # ", CommandTimeout, at);

        at = vmm.Monitor("VM status: paused", CommandTimeout, at, "stop", "info status");

        // Typed at the paused guest: nothing runs it (not even the tty's echo) until cont.
        vmm.Type("echo after-$((40+2)) | dd of=/dev/vda conv=fsync 2>/dev/null; echo wrote-$((6*7))");
        Thread.Sleep(3000);
        Assert.DoesNotContain("after-", vmm.Output[at..]);

        vmm.Monitor("VM status: running", CommandTimeout, at, "cont", "info status");
        vmm.WaitFor("wrote-42", CommandTimeout, at); // the guest may answer before the monitor does

        vmm.Type("poweroff");
        Assert.Equal(0, vmm.WaitForExit(CommandTimeout));
        var head = new byte[9];
        using (var file = File.OpenRead(image))
        {
            file.ReadExactly(head);
        }

        Assert.Equal("after-42\n", Encoding.ASCII.GetString(head));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
