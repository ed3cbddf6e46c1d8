using SharpVirt.Devices.Virtio.Queue;
using SharpVirt.Memory;

namespace SharpVirt.Devices.Virtio.Console;

/// <summary>
/// The transmit queue's server: each chain's bytes are copied into a bounded output buffer and the chain completed at
/// once; the buffer drains into the backend as fast as it takes them. When the buffer is full the queue pauses (the
/// guest's hvc0 blocks, as a real line would) and resumes when the backend has room again.
/// </summary>
internal sealed class ConsoleTx(GuestMemory memory, IConsoleBackend backend, ConsoleMetrics metrics) : IQueueServer
{
    /// <summary>Output held for a slow reader; also the most one chain is read for.</summary>
    internal const int BufferBytes = 64 * 1024;

    private readonly byte[] _buffer = new byte[BufferBytes];
    private int _start;
    private int _end;

    /// <summary>The queue this server feeds (set once, right after it is built).</summary>
    internal RequestQueue? Queue { get; set; }

    /// <inheritdoc />
    public ServeResult Serve(DescriptorChain chain)
    {
        var length = (int)Math.Min(chain.ReadableLength, (uint)BufferBytes);
        if (chain.ReadableLength > BufferBytes)
        {
            metrics.Errors.Increment(); // larger than any write hvc makes: only the first 64 KiB go out
        }

        if (BufferBytes - (_end - _start) < length)
        {
            Flush();
            if (BufferBytes - (_end - _start) < length)
            {
                return ServeResult.Throttled; // resumed by OnWritable
            }
        }

        if (BufferBytes - _end < length)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        _end += chain.CopyFrom(memory, _buffer.AsSpan(_end, length), 0);
        metrics.TxBytes.Add(length);
        Flush();
        return ServeResult.Done(0);
    }

    /// <summary>The backend can take more: drain the buffer, then let the queue go on.</summary>
    internal void OnWritable()
    {
        Flush();
        if (Queue is { Throttled: true } queue)
        {
            queue.Resume();
        }
    }

    /// <inheritdoc />
    public void OnRejected() => metrics.Errors.Increment();

    /// <inheritdoc />
    public void OnError() => metrics.Errors.Increment();

    /// <inheritdoc />
    public void OnBroken() => metrics.AddBrokenQueue();

    private void Flush()
    {
        while (_end > _start)
        {
            var taken = backend.Write(_buffer.AsSpan(_start, _end - _start));
            if (taken <= 0)
            {
                return;
            }

            _start += taken;
        }

        _start = 0;
        _end = 0;
    }
}
