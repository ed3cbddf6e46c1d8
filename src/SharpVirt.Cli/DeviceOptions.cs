using System.CommandLine;
using SharpVirt.Cli.Arguments;
using SharpVirt.Contracts;

namespace SharpVirt.Cli;

/// <summary>The virtio device options of <c>sharpvirt run</c>, and how they override a config file's devices.</summary>
internal static class DeviceOptions
{
    private static readonly Option<string[]> Disk = new("--disk", "--drive")
    {
        Description = "A virtio-blk disk: path=FILE[,readonly=on][,serial=TEXT][,id=NAME][,bps=RATE][,iops=N] (repeat for more; vda, vdb, ...)",
    };

    private static readonly Option<string[]> Net = new("--net", "--nic")
    {
        Description = "A virtio-net card on a tap device: tap=NAME[,mac=MAC][,id=NAME][,rx-bps=RATE][,rx-pps=N][,tx-bps=RATE][,tx-pps=N] (eth0, eth1, ...)",
    };

    private static readonly Option<bool> Rng = new("--rng") { Description = "A virtio entropy device (/dev/hwrng) fed by the host's getrandom" };

    private static readonly Option<string?> Balloon = new("--balloon")
    {
        Description = "A virtio memory balloon: [size=MIB][,deflate-on-oom=on][,stats=SECONDS][,reporting=on|off]",
        Arity = ArgumentArity.ZeroOrOne,
    };

    private static readonly Option<string?> Vsock = new("--vsock") { Description = "A virtio socket: cid=N,socket=PATH (host side: a Unix socket, as Firecracker's)" };

    private static readonly Option<string?> Console = new("--console") { Description = "A virtio console (hvc0): socket=PATH (a Unix socket to connect to) or file=PATH" };

    /// <summary>The options, to add to a command.</summary>
    internal static IEnumerable<Option> All => [Disk, Net, Rng, Balloon, Vsock, Console];

    /// <summary><paramref name="config"/> with each device kind given on the command line replacing the file's.</summary>
    internal static VmConfig Apply(ParseResult parse, VmConfig config) => config with
    {
        Drives = parse.GetValue(Disk) is { Length: > 0 } disks ? [.. disks.Select(DriveArgument.Parse)] : config.Drives,
        NetworkInterfaces = parse.GetValue(Net) is { Length: > 0 } nets ? [.. nets.Select(DeviceArguments.Net)] : config.NetworkInterfaces,
        Entropy = parse.GetValue(Rng) ? new EntropyConfig() : config.Entropy,
        Balloon = parse.GetResult(Balloon) is not null ? DeviceArguments.Balloon(parse.GetValue(Balloon)) : config.Balloon,
        Vsock = parse.GetValue(Vsock) is { } vsock ? DeviceArguments.Vsock(vsock) : config.Vsock,
        Console = parse.GetValue(Console) is { } console ? DeviceArguments.Console(console) : config.Console,
    };
}
