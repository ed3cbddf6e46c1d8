using SharpVirt.Devices.Metrics;

namespace SharpVirt.Devices.Virtio.Rng;

/// <summary>Counters of a <see cref="VirtioRng"/>; safe to read from any thread.</summary>
public sealed class RngMetrics : MetricSet
{
    /// <summary>Creates the counters.</summary>
    public RngMetrics()
    {
        Requests = Add("requests");
        BytesServed = Add("bytes");
        Errors = Add("errors");
        BrokenQueues = Add("broken_queues");
    }

    /// <summary>Requests completed (returned to the used ring), failed ones included.</summary>
    public Counter Requests { get; }

    /// <summary>Entropy bytes written into guest buffers.</summary>
    public Counter BytesServed { get; }

    /// <summary>
    /// Driver errors: rejected chains, chains without a writable buffer, heads out of range, broken queues,
    /// and failures of the entropy source.
    /// </summary>
    public Counter Errors { get; }

    /// <summary>Times the request queue was found broken (the device then leaves it alone until reset).</summary>
    public Counter BrokenQueues { get; }

    internal void AddRequest(uint bytes)
    {
        Requests.Increment();
        BytesServed.Add(bytes);
    }

    internal void AddBrokenQueue()
    {
        BrokenQueues.Increment();
        Errors.Increment();
    }
}
