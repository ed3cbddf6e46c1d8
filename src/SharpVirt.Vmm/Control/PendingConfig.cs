using SharpVirt.Contracts;

namespace SharpVirt.Vmm.Control;

/// <summary>
/// The configuration a VMM gathers before its guest starts, one resource at a time (the API's PUTs). Each piece is
/// checked when it is given, so a bad one is refused at once naming its field; the whole is checked again at start
/// (duplicate taps, the device count). Owned by the controller's loop thread.
/// </summary>
internal sealed class PendingConfig
{
    private readonly List<DriveConfig> _drives = [];
    private readonly List<NetworkInterfaceConfig> _nets = [];

    public MachineConfig Machine { get; private set; } = new();

    public BootSourceConfig? BootSource { get; private set; }

    public BalloonConfig? Balloon { get; private set; }

    public VsockConfig? Vsock { get; private set; }

    public EntropyConfig? Entropy { get; private set; }

    public ConsoleConfig? Console { get; private set; }

    public void SetMachine(MachineConfig machine)
    {
        Checked(() => VmSpecFactory.CheckMachine(machine));
        if (Balloon is { } balloon && balloon.AmountMib >= machine.MemSizeMib)
        {
            throw new VmmControlException(VmmControlErrorKind.BadRequest, "mem_size_mib",
                $"{machine.MemSizeMib} MiB is not more than the balloon's {balloon.AmountMib} MiB target");
        }

        Machine = machine;
    }

    public void SetBootSource(BootSourceConfig boot)
    {
        Checked(() => VmSpecFactory.ReadBootFiles(boot));
        BootSource = boot;
    }

    public void SetDrive(string id, DriveConfig drive)
    {
        var named = MatchId(id, drive.DriveId, "drive_id") ? drive : drive with { DriveId = id };
        Checked(() => DeviceSpecFactory.Drives([named]), "drives[0].");
        Replace(_drives, d => d.DriveId == id, named);
    }

    public void SetNetworkInterface(string id, NetworkInterfaceConfig net)
    {
        var named = MatchId(id, net.IfaceId, "iface_id") ? net : net with { IfaceId = id };
        Checked(() => DeviceSpecFactory.Nets([named]), "network-interfaces[0].");
        Replace(_nets, n => n.IfaceId == id, named);
    }

    public void SetBalloon(BalloonConfig balloon)
    {
        Checked(() => DeviceSpecFactory.Balloon(balloon, Machine.MemSizeMib), "balloon.");
        Balloon = balloon;
    }

    public void SetVsock(VsockConfig vsock)
    {
        Checked(() => DeviceSpecFactory.Vsock(vsock), "vsock.");
        Vsock = vsock;
    }

    public void SetEntropy(EntropyConfig entropy) => Entropy = entropy;

    public void SetConsole(ConsoleConfig console)
    {
        Checked(() => DeviceSpecFactory.Console(console), "console.");
        Console = console;
    }

    /// <summary>The whole configuration, for start; null (and why) while a required part is missing.</summary>
    public VmConfig ToConfig() => new()
    {
        BootSource = BootSource ?? throw new VmmControlException(VmmControlErrorKind.BadRequest, "boot-source",
            "no boot source yet: PUT /boot-source with kernel_image_path before start"),
        Machine = Machine,
        Drives = [.. _drives],
        NetworkInterfaces = [.. _nets],
        Balloon = Balloon,
        Vsock = Vsock,
        Entropy = Entropy,
        Console = Console,
    };

    private static bool MatchId(string pathId, string? bodyId, string field)
    {
        if (string.IsNullOrWhiteSpace(pathId) || pathId.Length > 64 || pathId.Any(c => !char.IsAsciiLetterOrDigit(c) && c is not '_' and not '-'))
        {
            throw new VmmControlException(VmmControlErrorKind.BadRequest, "id",
                $"'{pathId}': ids are 1 to 64 letters, digits, '_' or '-'");
        }

        CheckBodyId(pathId, bodyId, field);
        return bodyId is not null;
    }

    /// <summary>An id given in a body (drive_id, iface_id) must be the one in the path.</summary>
    internal static void CheckBodyId(string pathId, string? bodyId, string field)
    {
        if (bodyId is not null && bodyId != pathId)
        {
            throw new VmmControlException(VmmControlErrorKind.BadRequest, field, $"'{bodyId}' differs from the id in the path, '{pathId}'");
        }
    }

    private static void Replace<T>(List<T> list, Predicate<T> same, T item)
    {
        var at = list.FindIndex(same);
        if (at >= 0)
        {
            list[at] = item;
        }
        else
        {
            list.Add(item);
        }
    }

    /// <summary>Runs a check; a ConfigException becomes a 400 naming the field without the config-file prefix.</summary>
    private static void Checked(Action check, string prefix = "")
    {
        try
        {
            check();
        }
        catch (ConfigException e)
        {
            var field = prefix.Length > 0 && e.Field.StartsWith(prefix, StringComparison.Ordinal) ? e.Field[prefix.Length..] : e.Field;
            throw new VmmControlException(VmmControlErrorKind.BadRequest, field, e.Reason);
        }
    }
}
