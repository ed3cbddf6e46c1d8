namespace SharpVirt.Devices.Virtio.Rng;

/// <summary>Counters of a <see cref="VirtioRng"/>; every member is safe to read from any thread.</summary>
public sealed class RngMetrics
{
    private long _requests;
    private long _bytesServed;
    private long _errors;
    private long _brokenQueues;

    /// <summary>Number of requests completed (returned to the used ring), failed ones included.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Number of entropy bytes written into guest buffers.</summary>
    public long BytesServed => Interlocked.Read(ref _bytesServed);

    /// <summary>
    /// Number of driver errors: rejected chains, chains without a writable buffer, heads out of range, broken queues,
    /// and failures of the entropy source.
    /// </summary>
    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>Number of times the request queue was found broken (the device then stops touching it until reset).</summary>
    public long BrokenQueues => Interlocked.Read(ref _brokenQueues);

    internal void AddRequest(uint bytes)
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Add(ref _bytesServed, bytes);
    }

    internal void AddError() => Interlocked.Increment(ref _errors);

    internal void AddBrokenQueue()
    {
        Interlocked.Increment(ref _brokenQueues);
        Interlocked.Increment(ref _errors);
    }
}
