using SharpVirt.Devices.Metrics;

namespace SharpVirt.Devices.Virtio.Transport.Mmio;

/// <summary>Counters of one virtio-mmio transport; safe to read from any thread.</summary>
public sealed class VirtioMmioMetrics : MetricSet
{
    /// <summary>Creates the counters.</summary>
    public VirtioMmioMetrics()
    {
        InvalidAccesses = Add("invalid_accesses");
        Notifications = Add("notify_exits");
        Resets = Add("resets");
        Activations = Add("activations");
        FeaturesRejected = Add("features_rejected");
    }

    /// <summary>
    /// Guest accesses that were ignored: bad offset or width, writes to read-only or reads of write-only registers,
    /// queue changes while the queue is ready, refused QueueReady, notifications before DRIVER_OK or for a bad queue,
    /// invalid status transitions.
    /// </summary>
    public Counter InvalidAccesses { get; }

    /// <summary>Queue notifications that came as an MMIO exit (the ioeventfd fast path bypasses the transport).</summary>
    public Counter Notifications { get; }

    /// <summary>Device resets (status written 0).</summary>
    public Counter Resets { get; }

    /// <summary>Times the device was activated (DRIVER_OK).</summary>
    public Counter Activations { get; }

    /// <summary>FEATURES_OK writes refused because the driver's features were unacceptable.</summary>
    public Counter FeaturesRejected { get; }
}
