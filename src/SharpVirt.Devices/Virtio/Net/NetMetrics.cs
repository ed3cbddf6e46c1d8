using SharpVirt.Devices.Metrics;

namespace SharpVirt.Devices.Virtio.Net;

/// <summary>Counters of a <see cref="VirtioNet"/>; safe to read from any thread.</summary>
public sealed class NetMetrics : MetricSet
{
    /// <summary>Creates the counters.</summary>
    public NetMetrics()
    {
        RxPackets = Add("rx_packets");
        RxBytes = Add("rx_bytes");
        TxPackets = Add("tx_packets");
        TxBytes = Add("tx_bytes");
        RxDropped = Add("rx_dropped");
        TxDropped = Add("tx_dropped");
        Errors = Add("errors");
        RxThrottles = Add("rx_rate_limiter_throttles");
        TxThrottles = Add("tx_rate_limiter_throttles");
        BrokenQueues = Add("broken_queues");
    }

    /// <summary>Frames delivered to the guest.</summary>
    public Counter RxPackets { get; }

    /// <summary>Bytes of those frames (headers excluded).</summary>
    public Counter RxBytes { get; }

    /// <summary>Frames the guest sent that reached the backend.</summary>
    public Counter TxPackets { get; }

    /// <summary>Bytes of those frames (headers excluded).</summary>
    public Counter TxBytes { get; }

    /// <summary>Frames from the host that no receive buffer could hold, or shorter than a header.</summary>
    public Counter RxDropped { get; }

    /// <summary>Frames from the guest the backend did not take.</summary>
    public Counter TxDropped { get; }

    /// <summary>Driver errors: malformed chains, frames too short or too long, heads out of range, broken queues, host failures.</summary>
    public Counter Errors { get; }

    /// <summary>Times receiving waited for the receive rate limiter.</summary>
    public Counter RxThrottles { get; }

    /// <summary>Times transmitting waited for the transmit rate limiter.</summary>
    public Counter TxThrottles { get; }

    /// <summary>Times a queue was found broken (it is then left alone until reset).</summary>
    public Counter BrokenQueues { get; }

    internal void AddRx(long bytes)
    {
        RxPackets.Increment();
        RxBytes.Add(bytes);
    }

    internal void AddTx(long bytes)
    {
        TxPackets.Increment();
        TxBytes.Add(bytes);
    }

    internal void AddBrokenQueue()
    {
        BrokenQueues.Increment();
        Errors.Increment();
    }
}
