using SharpVirt.Devices.Metrics;

namespace SharpVirt.Devices.Virtio.Console;

/// <summary>Counters of a <see cref="VirtioConsole"/>; safe to read from any thread.</summary>
public sealed class ConsoleMetrics : MetricSet
{
    /// <summary>Creates the counters.</summary>
    public ConsoleMetrics()
    {
        RxBytes = Add("rx_bytes");
        TxBytes = Add("tx_bytes");
        Errors = Add("errors");
        BrokenQueues = Add("broken_queues");
    }

    /// <summary>Bytes of host input delivered to the guest.</summary>
    public Counter RxBytes { get; }

    /// <summary>Bytes the guest wrote (taken by the backend, delivered or dropped there).</summary>
    public Counter TxBytes { get; }

    /// <summary>Driver errors: malformed chains, oversized writes, heads out of range, broken queues.</summary>
    public Counter Errors { get; }

    /// <summary>Times a queue was found broken.</summary>
    public Counter BrokenQueues { get; }

    internal void AddBrokenQueue()
    {
        BrokenQueues.Increment();
        Errors.Increment();
    }
}
