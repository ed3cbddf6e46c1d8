using SharpVirt.Manager;

namespace SharpVirt.Daemon;

/// <summary>How sharpvirtd is run: where its state and sockets live, and the pieces the composition root supplies.</summary>
public sealed record DaemonOptions
{
    /// <summary>Where the database and the VMs' files live.</summary>
    public required ManagerPaths Paths { get; init; }

    /// <summary>The socket the API listens on (default: sharpvirtd.sock in the run directory).</summary>
    public string? Socket { get; init; }

    /// <summary>The sharpvirt binary each VMM is started from.</summary>
    public required string VmmBinary { get; init; }

    /// <summary>The VMM's own config check, so a definition that is accepted also boots.</summary>
    public required ConfigChecker CheckConfig { get; init; }

    /// <summary>The socket's path.</summary>
    public string SocketPath => Socket ?? Paths.DaemonSocket;
}
