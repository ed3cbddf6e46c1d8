namespace SharpVirt.Devices.Virtio.Block;

/// <summary>Counters of a <see cref="VirtioBlock"/>; every member is safe to read from any thread.</summary>
public sealed class BlockMetrics
{
    private long _readRequests;
    private long _writeRequests;
    private long _flushRequests;
    private long _getIdRequests;
    private long _bytesRead;
    private long _bytesWritten;
    private long _errors;
    private long _readOnlyRejections;
    private long _unsupportedRequests;
    private long _brokenQueues;

    /// <summary>Number of IN (read) requests that completed with status OK.</summary>
    public long ReadRequests => Interlocked.Read(ref _readRequests);

    /// <summary>Number of OUT (write) requests that completed with status OK.</summary>
    public long WriteRequests => Interlocked.Read(ref _writeRequests);

    /// <summary>Number of FLUSH requests that completed with status OK (the image was synced to disk).</summary>
    public long FlushRequests => Interlocked.Read(ref _flushRequests);

    /// <summary>Number of GET_ID requests answered.</summary>
    public long GetIdRequests => Interlocked.Read(ref _getIdRequests);

    /// <summary>Bytes read from the image into guest buffers.</summary>
    public long BytesRead => Interlocked.Read(ref _bytesRead);

    /// <summary>Bytes written from guest buffers into the image.</summary>
    public long BytesWritten => Interlocked.Read(ref _bytesWritten);

    /// <summary>
    /// Number of failed requests and driver errors: malformed or rejected chains, out-of-range or misaligned
    /// requests, host I/O failures, read-only rejections, heads out of range and broken queues.
    /// </summary>
    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>Number of OUT requests refused because the device is read-only (also counted in <see cref="Errors"/>).</summary>
    public long ReadOnlyRejections => Interlocked.Read(ref _readOnlyRejections);

    /// <summary>Number of requests of an unknown type, answered with VIRTIO_BLK_S_UNSUPP (not counted as errors).</summary>
    public long UnsupportedRequests => Interlocked.Read(ref _unsupportedRequests);

    /// <summary>Number of times the request queue was found broken (the device then stops touching it until reset).</summary>
    public long BrokenQueues => Interlocked.Read(ref _brokenQueues);

    internal void AddRead(long bytes)
    {
        Interlocked.Increment(ref _readRequests);
        Interlocked.Add(ref _bytesRead, bytes);
    }

    internal void AddWrite(long bytes)
    {
        Interlocked.Increment(ref _writeRequests);
        Interlocked.Add(ref _bytesWritten, bytes);
    }

    internal void AddFlush() => Interlocked.Increment(ref _flushRequests);

    internal void AddGetId() => Interlocked.Increment(ref _getIdRequests);

    internal void AddError() => Interlocked.Increment(ref _errors);

    internal void AddReadOnlyRejection()
    {
        Interlocked.Increment(ref _readOnlyRejections);
        Interlocked.Increment(ref _errors);
    }

    internal void AddUnsupported() => Interlocked.Increment(ref _unsupportedRequests);

    internal void AddBrokenQueue()
    {
        Interlocked.Increment(ref _brokenQueues);
        Interlocked.Increment(ref _errors);
    }
}
