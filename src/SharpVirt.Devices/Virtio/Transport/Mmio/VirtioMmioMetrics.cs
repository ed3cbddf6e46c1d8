namespace SharpVirt.Devices.Virtio.Transport.Mmio;

/// <summary>Counters of one virtio-mmio transport; safe to read from any thread.</summary>
public sealed class VirtioMmioMetrics
{
    private long _invalidAccesses;
    private long _notifications;
    private long _resets;
    private long _activations;
    private long _featuresRejected;

    /// <summary>
    /// Guest accesses that were ignored: bad offset or width, writes to read-only or reads of write-only registers,
    /// queue changes while the queue is ready, refused QueueReady, notifications before DRIVER_OK or for a bad queue,
    /// invalid status transitions.
    /// </summary>
    public long InvalidAccesses => Interlocked.Read(ref _invalidAccesses);

    /// <summary>Queue notifications passed to the device.</summary>
    public long Notifications => Interlocked.Read(ref _notifications);

    /// <summary>Device resets (status written 0).</summary>
    public long Resets => Interlocked.Read(ref _resets);

    /// <summary>Times the device was activated (DRIVER_OK).</summary>
    public long Activations => Interlocked.Read(ref _activations);

    /// <summary>FEATURES_OK writes refused because the driver's features were unacceptable.</summary>
    public long FeaturesRejected => Interlocked.Read(ref _featuresRejected);

    internal void InvalidAccess() => Interlocked.Increment(ref _invalidAccesses);

    internal void Notification() => Interlocked.Increment(ref _notifications);

    internal void Reset() => Interlocked.Increment(ref _resets);

    internal void Activation() => Interlocked.Increment(ref _activations);

    internal void FeatureRejected() => Interlocked.Increment(ref _featuresRejected);
}
