using System.Buffers.Binary;
using SharpVirt.Devices.EventLoop;
using SharpVirt.Devices.Virtio.Queue;
using SharpVirt.Memory;

namespace SharpVirt.Devices.Virtio.Balloon;

/// <summary>Guest memory statistics as the balloon driver last reported them (virtio 1.2, section 5.5.6.3); null: not reported.</summary>
/// <param name="Updated">When the host received them.</param>
/// <param name="SwapIn">Bytes swapped in.</param>
/// <param name="SwapOut">Bytes swapped out.</param>
/// <param name="MajorFaults">Major page faults.</param>
/// <param name="MinorFaults">Minor page faults.</param>
/// <param name="FreeMemory">Bytes of unused memory.</param>
/// <param name="TotalMemory">Bytes of memory the guest has.</param>
/// <param name="AvailableMemory">Bytes the guest could use without swapping (MemAvailable).</param>
/// <param name="DiskCaches">Bytes of page cache the guest could drop.</param>
public sealed record BalloonStatistics(
    DateTime Updated, long? SwapIn, long? SwapOut, long? MajorFaults, long? MinorFaults,
    long? FreeMemory, long? TotalMemory, long? AvailableMemory, long? DiskCaches);

/// <summary>
/// The statistics queue: the driver posts one buffer of (le16 tag, le64 value) pairs; the device keeps it, and every
/// interval hands it back empty, which makes the driver fill in fresh values and post it again.
/// </summary>
internal sealed class BalloonStats
{
    private const int EntrySize = 10;
    private const int MaxEntries = 64;

    private readonly Virtqueue _queue;
    private readonly int _index;
    private readonly IVirtioInterrupt _interrupt;
    private readonly GuestMemory _memory;
    private readonly BalloonMetrics _metrics;
    private readonly DeviceEventLoop _loop;
    private readonly TimeSpan _interval;
    private readonly Action<BalloonStatistics> _publish;
    private readonly byte[] _entries = new byte[MaxEntries * EntrySize];
    private ushort? _held;

    /// <summary>Whether the driver's buffer is held (popped, handed back at the next interval).</summary>
    public bool IsHolding => _held is not null;
    private bool _broken;
    private bool _requestScheduled;

    internal BalloonStats(VirtioActivation activation, Virtqueue queue, int index, BalloonMetrics metrics, DeviceEventLoop loop,
        TimeSpan interval, Action<BalloonStatistics> publish)
    {
        _queue = queue;
        _index = index;
        _interrupt = activation.Interrupt;
        _memory = activation.Memory;
        _metrics = metrics;
        _loop = loop;
        _interval = interval;
        _publish = publish;
    }

    /// <summary>The driver posted its buffer: read it, keep it, and ask again after the interval.</summary>
    internal void OnNotify()
    {
        // Re-enabling notifications publishes avail_event: with EVENT_IDX the driver kicks the next post only then.
        do
        {
            while (TryPop(out var chain))
            {
                if (_held is { } previous)
                {
                    // The driver keeps only one buffer out; a second one means the first is stale: hand it back.
                    _metrics.Errors.Increment();
                    _queue.AddUsed(previous, 0);
                }

                Parse(chain);
                _held = chain.Head;
                if (!_requestScheduled)
                {
                    // One timer at a time, however often the driver posts.
                    _requestScheduled = true;
                    _loop.Schedule(_interval, Request);
                }
            }
        }
        while (_queue.EnableNotification());

        if (_queue.IsBroken && !_broken)
        {
            _broken = true;
            _metrics.AddBrokenQueue();
        }
    }

    /// <summary>Pops the next valid chain; malformed ones are handed back empty, and the driver told about them.</summary>
    private bool TryPop([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DescriptorChain? chain)
    {
        var popped = _queue.TryPopValid(out chain, out var rejected, out var lost);
        _metrics.Errors.Add(rejected + lost);
        if (rejected > 0 && _queue.NeedsNotification())
        {
            _interrupt.SignalUsedBuffer(_index);
        }

        return popped;
    }

    private void Request()
    {
        _requestScheduled = false;
        if (_held is not { } head)
        {
            return;
        }

        _held = null;
        _queue.AddUsed(head, 0);
        if (_queue.NeedsNotification())
        {
            _interrupt.SignalUsedBuffer(_index);
        }
    }

    private void Parse(DescriptorChain chain)
    {
        var length = (int)Math.Min(chain.ReadableLength, (uint)_entries.Length) / EntrySize * EntrySize;
        var bytes = _entries.AsSpan(0, chain.CopyFrom(_memory, _entries.AsSpan(0, length), 0));
        var values = new long?[10];
        for (var at = 0; at + EntrySize <= bytes.Length; at += EntrySize)
        {
            var tag = BinaryPrimitives.ReadUInt16LittleEndian(bytes[at..]);
            var value = BinaryPrimitives.ReadUInt64LittleEndian(bytes[(at + 2)..]);
            if (tag < values.Length)
            {
                values[tag] = value > long.MaxValue ? long.MaxValue : (long)value;
            }
        }

        _metrics.StatsUpdates.Increment();
        _publish(new BalloonStatistics(DateTime.UtcNow, values[0], values[1], values[2], values[3], values[4], values[5], values[6], values[7]));
    }
}
