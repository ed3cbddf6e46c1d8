using SharpVirt.Devices.Metrics;

namespace SharpVirt.Devices.Virtio.Block;

/// <summary>Counters of a <see cref="VirtioBlock"/>; safe to read from any thread.</summary>
public sealed class BlockMetrics : MetricSet
{
    /// <summary>Creates the counters.</summary>
    public BlockMetrics()
    {
        ReadRequests = Add("read_requests");
        WriteRequests = Add("write_requests");
        FlushRequests = Add("flush_requests");
        GetIdRequests = Add("get_id_requests");
        DiscardRequests = Add("discard_requests");
        WriteZeroesRequests = Add("write_zeroes_requests");
        BytesRead = Add("read_bytes");
        BytesWritten = Add("write_bytes");
        Errors = Add("errors");
        ReadOnlyRejections = Add("read_only_rejections");
        UnsupportedRequests = Add("unsupported_requests");
        Throttles = Add("rate_limiter_throttles");
        BrokenQueues = Add("broken_queues");
    }

    /// <summary>IN (read) requests that completed with status OK.</summary>
    public Counter ReadRequests { get; }

    /// <summary>OUT (write) requests that completed with status OK.</summary>
    public Counter WriteRequests { get; }

    /// <summary>FLUSH requests that completed with status OK (the image was synced to disk).</summary>
    public Counter FlushRequests { get; }

    /// <summary>GET_ID requests answered.</summary>
    public Counter GetIdRequests { get; }

    /// <summary>DISCARD requests that completed with status OK (the ranges were deallocated).</summary>
    public Counter DiscardRequests { get; }

    /// <summary>WRITE_ZEROES requests that completed with status OK.</summary>
    public Counter WriteZeroesRequests { get; }

    /// <summary>Bytes read from the image into guest buffers.</summary>
    public Counter BytesRead { get; }

    /// <summary>Bytes written from guest buffers into the image.</summary>
    public Counter BytesWritten { get; }

    /// <summary>
    /// Failed requests and driver errors: malformed or rejected chains, out-of-range or misaligned requests, host I/O
    /// failures, read-only rejections, heads out of range and broken queues.
    /// </summary>
    public Counter Errors { get; }

    /// <summary>Writes (and discards) refused because the device is read-only (also counted in <see cref="Errors"/>).</summary>
    public Counter ReadOnlyRejections { get; }

    /// <summary>Requests of an unknown type or with reserved flags, answered VIRTIO_BLK_S_UNSUPP (not errors).</summary>
    public Counter UnsupportedRequests { get; }

    /// <summary>Times a request waited for the rate limiter's tokens.</summary>
    public Counter Throttles { get; }

    /// <summary>Times the request queue was found broken (the device then leaves it alone until reset).</summary>
    public Counter BrokenQueues { get; }

    internal void AddRead(long bytes)
    {
        ReadRequests.Increment();
        BytesRead.Add(bytes);
    }

    internal void AddWrite(long bytes)
    {
        WriteRequests.Increment();
        BytesWritten.Add(bytes);
    }

    internal void AddReadOnlyRejection()
    {
        ReadOnlyRejections.Increment();
        Errors.Increment();
    }

    internal void AddBrokenQueue()
    {
        BrokenQueues.Increment();
        Errors.Increment();
    }
}
