using SharpVirt.Devices.Metrics;

namespace SharpVirt.Devices.Virtio.Balloon;

/// <summary>Counters of a <see cref="VirtioBalloon"/>; safe to read from any thread.</summary>
public sealed class BalloonMetrics : MetricSet
{
    /// <summary>Creates the counters.</summary>
    public BalloonMetrics()
    {
        InflatedPages = Add("inflated_pages");
        DeflatedPages = Add("deflated_pages");
        ReportedBytes = Add("free_page_reported_bytes");
        StatsUpdates = Add("stats_updates");
        Errors = Add("errors");
        BrokenQueues = Add("broken_queues");
    }

    /// <summary>4 KiB pages the guest put in the balloon (given back to the host).</summary>
    public Counter InflatedPages { get; }

    /// <summary>4 KiB pages the guest took back out of the balloon.</summary>
    public Counter DeflatedPages { get; }

    /// <summary>Bytes of free memory the guest reported and the host took back.</summary>
    public Counter ReportedBytes { get; }

    /// <summary>Statistics buffers received from the guest.</summary>
    public Counter StatsUpdates { get; }

    /// <summary>Driver errors: page numbers outside guest memory, malformed chains, heads out of range, broken queues.</summary>
    public Counter Errors { get; }

    /// <summary>Times a queue was found broken.</summary>
    public Counter BrokenQueues { get; }

    internal void AddBrokenQueue()
    {
        BrokenQueues.Increment();
        Errors.Increment();
    }
}
