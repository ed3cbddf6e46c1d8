namespace SharpVirt.Manager;

/// <summary>
/// Where the manager keeps things: persistent state (the database, each VM's config, console log and exit report)
/// under <see cref="StateDirectory"/>, and what lives only while the host is up (the VMMs' API sockets) under
/// <see cref="RunDirectory"/>.
/// </summary>
public sealed record ManagerPaths(string StateDirectory, string RunDirectory)
{
    /// <summary>The system-wide default state directory.</summary>
    public const string DefaultStateDirectory = "/var/lib/sharpvirt";

    /// <summary>The system-wide default run directory.</summary>
    public const string DefaultRunDirectory = "/run/sharpvirt";

    /// <summary>The SQLite database.</summary>
    public string Database => Path.Combine(StateDirectory, "sharpvirt.db");

    /// <summary>The daemon's API socket, unless another is given.</summary>
    public string DaemonSocket => Path.Combine(RunDirectory, "sharpvirtd.sock");

    /// <summary>The directory of one VM's files.</summary>
    public string VmDirectory(string name) => Path.Combine(StateDirectory, "vms", name);

    /// <summary>The VMM config file a VM is started with.</summary>
    public string ConfigFile(string name) => Path.Combine(VmDirectory(name), "config.json");

    /// <summary>The file the VM's serial console is written to.</summary>
    public string ConsoleLog(string name) => Path.Combine(VmDirectory(name), "console.log");

    /// <summary>Where the VMM writes how its guest ended.</summary>
    public string ExitReport(string name) => Path.Combine(VmDirectory(name), "exit.json");

    /// <summary>The VMM's API socket.</summary>
    public string ApiSocket(string name) => Path.Combine(RunDirectory, "vms", name + ".sock");
}
