using SharpVirt.Devices.Metrics;

namespace SharpVirt.Devices.Virtio.Vsock;

/// <summary>Counters of a <see cref="VirtioVsock"/>; safe to read from any thread.</summary>
public sealed class VsockMetrics : MetricSet
{
    /// <summary>Creates the counters.</summary>
    public VsockMetrics()
    {
        RxPackets = Add("rx_packets");
        RxBytes = Add("rx_bytes");
        TxPackets = Add("tx_packets");
        TxBytes = Add("tx_bytes");
        ConnectionsOpened = Add("connections_opened");
        ConnectionsRefused = Add("connections_refused");
        Resets = Add("resets");
        Errors = Add("errors");
        BrokenQueues = Add("broken_queues");
    }

    /// <summary>Packets delivered to the guest.</summary>
    public Counter RxPackets { get; }

    /// <summary>Stream bytes delivered to the guest.</summary>
    public Counter RxBytes { get; }

    /// <summary>Packets the guest sent.</summary>
    public Counter TxPackets { get; }

    /// <summary>Stream bytes the guest sent to host sockets.</summary>
    public Counter TxBytes { get; }

    /// <summary>Connections established (either side initiating).</summary>
    public Counter ConnectionsOpened { get; }

    /// <summary>Connections refused: no host listener, a bad CONNECT line, or the guest said no.</summary>
    public Counter ConnectionsRefused { get; }

    /// <summary>Connections ended by a reset (RST) in either direction.</summary>
    public Counter Resets { get; }

    /// <summary>Driver errors: short or oversized packets, wrong addresses, credit violations, malformed chains.</summary>
    public Counter Errors { get; }

    /// <summary>Times a queue was found broken.</summary>
    public Counter BrokenQueues { get; }

    internal void AddBrokenQueue()
    {
        BrokenQueues.Increment();
        Errors.Increment();
    }
}
