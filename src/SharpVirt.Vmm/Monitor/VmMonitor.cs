using System.Globalization;
using System.Text;
using SharpVirt.Devices.Virtio.Balloon;
using SharpVirt.Vmm.Control;

namespace SharpVirt.Vmm.Monitor;

/// <summary>
/// The console monitor's commands (Ctrl-A c), in the spirit of QEMU's human monitor: look at the devices and their
/// counters, pause and continue the guest, press its power button or send it Ctrl-Alt-Del, set the balloon's target,
/// quit. Every method is safe to call from the console thread: pause, continue and the button and keys go through the
/// controller's loop (as the API's do), devices take their own locks, counters are atomic.
/// </summary>
public sealed class VmMonitor(Vm vm, VmmController controller)
{
    /// <summary>The prompt shown while the monitor has the keyboard.</summary>
    public const string Prompt = "(sharpvirt) ";

    /// <summary>Runs one command line and returns what to print (lines end with \n).</summary>
    public string Execute(string line)
    {
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return words switch
        {
            [] => "",
            ["help" or "?"] => Help,
            ["info", "status"] => $"VM status: {(vm.IsPaused ? "paused" : "running")}\n",
            ["stop"] => Run(controller.Pause(), "VM paused (cont runs it again)\n"),
            ["cont" or "c"] => Run(controller.Resume(), ""),
            ["system_powerdown"] => Run(controller.PressPowerButton(), "power button pressed\n"),
            ["sendkey", "ctrl-alt-delete"] => Run(controller.SendCtrlAltDel(), "Ctrl-Alt-Del sent\n"),
            ["sendkey", ..] => "sendkey: only ctrl-alt-delete can be sent\n",
            ["info", "devices"] => Devices(),
            ["info", "metrics"] => Metrics(),
            ["info", "balloon"] => WithBalloon(BalloonInfo),
            ["balloon", var size] => WithBalloon(b => SetBalloon(b, size)),
            ["quit" or "q"] => Quit(),
            _ => $"unknown command '{line.Trim()}' (try help)\n",
        };
    }

    private const string Help =
        "info status        running or paused\n" +
        "stop               pause the guest: vCPUs and devices stop, nothing changes guest memory\n" +
        "cont               run a paused guest again\n" +
        "system_powerdown   press the ACPI power button\n" +
        "sendkey ctrl-alt-delete  type Ctrl-Alt-Del on the guest's keyboard\n" +
        "info devices       the virtio devices\n" +
        "info metrics       every device's counters\n" +
        "info balloon       the balloon's target, size and the guest's memory statistics\n" +
        "balloon MIB        make the balloon hold MIB MiB of guest memory (0 gives it all back)\n" +
        "quit               stop the VM\n" +
        "Ctrl-A c           back to the guest console\n";

    private static string Run(Task command, string done)
    {
        try
        {
            command.GetAwaiter().GetResult();
            return done;
        }
        catch (VmmControlException e)
        {
            return e.Reason + "\n";
        }
    }

    private string Devices()
    {
        var text = new StringBuilder();
        foreach (var d in vm.Devices)
        {
            text.Append(CultureInfo.InvariantCulture, $"{d.Name,-8} {d.Kind}\n");
        }

        return text.Length == 0 ? "no virtio devices\n" : text.ToString();
    }

    private string Metrics()
    {
        var text = new StringBuilder();
        foreach (var d in vm.Devices)
        {
            text.Append(CultureInfo.InvariantCulture, $"{d.Name} ({d.Kind}):");
            foreach (var (name, value) in d.Metrics.Snapshot())
            {
                text.Append(CultureInfo.InvariantCulture, $" {name}={value}");
            }

            text.Append('\n');
        }

        return text.Length == 0 ? "no virtio devices\n" : text.ToString();
    }

    private string WithBalloon(Func<VirtioBalloon, string> action) =>
        vm.Devices.Select(d => d.Device).OfType<VirtioBalloon>().FirstOrDefault() is { } balloon
            ? action(balloon)
            : "this VM has no balloon (start it with --balloon)\n";

    private static string BalloonInfo(VirtioBalloon balloon)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"balloon: target={balloon.TargetMib} MiB actual={balloon.ActualMib} MiB\n");
        if (balloon.Statistics is { } s)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"guest memory: total={Mib(s.TotalMemory)} free={Mib(s.FreeMemory)} available={Mib(s.AvailableMemory)} caches={Mib(s.DiskCaches)} (as of {s.Updated:HH:mm:ss} UTC)\n");
        }

        return text.ToString();
    }

    private static string Mib(long? bytes) => bytes is { } b ? $"{b >> 20} MiB" : "-";

    private string SetBalloon(VirtioBalloon balloon, string size)
    {
        var memoryMib = (long)(vm.Memory.TotalSize >> 20);
        if (!long.TryParse(size, NumberStyles.None, CultureInfo.InvariantCulture, out var mib) || mib >= memoryMib)
        {
            return $"balloon: '{size}': give a size in MiB from 0 to {memoryMib - 1}\n";
        }

        balloon.SetTarget(mib);
        return $"balloon: target set to {mib} MiB\n";
    }

    private string Quit()
    {
        vm.Exit.Set(new VmOutcome(VmOutcomeKind.UserQuit, "quit from the monitor"));
        return "";
    }
}
