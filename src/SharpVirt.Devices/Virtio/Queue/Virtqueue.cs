using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using SharpVirt.Memory;

namespace SharpVirt.Devices.Virtio.Queue;

/// <summary>
/// The device side of a virtio 1.x split virtqueue (virtio 1.2, section 2.7). Every value read from the guest is
/// treated as hostile: a bad chain is rejected and counted while the queue stays usable; a corrupt queue (bad
/// configuration, avail index jump) is marked <see cref="IsBroken"/> and serves nothing more. No guest input
/// makes a method throw, loop without bound or allocate more than the queue size allows.
/// Not thread-safe: one thread (the device's event loop) owns a queue.
/// </summary>
public sealed class Virtqueue
{
    private readonly GuestMemory _memory;
    private readonly ushort _size;
    private readonly ulong _availRing;
    private readonly ulong _usedRing;
    private readonly bool _eventIdx;
    private readonly ChainWalker? _walker;
    private ushort _nextAvail;
    private ushort _nextUsed;
    private ushort _usedAtLastSignalCheck;

    /// <summary>Builds a queue over the driver's layout; an invalid layout yields a broken queue, not an exception.</summary>
    /// <param name="memory">Guest memory holding the rings.</param>
    /// <param name="config">The layout the driver wrote to the transport.</param>
    /// <param name="eventIdx">Whether VIRTIO_F_RING_EVENT_IDX was negotiated.</param>
    /// <param name="indirect">Whether VIRTIO_F_RING_INDIRECT_DESC was negotiated.</param>
    public Virtqueue(GuestMemory memory, QueueConfig config, bool eventIdx, bool indirect)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(config);
        _memory = memory;
        _size = config.Size;
        _availRing = config.AvailableRing;
        _usedRing = config.UsedRing;
        _eventIdx = eventIdx;

        var problem = Validate(memory, config);
        if (problem is not null)
        {
            MarkBroken(new QueueError(QueueErrorKind.InvalidConfig, problem));
            return;
        }

        _walker = new ChainWalker(memory, config.DescriptorTable, _size, indirect);
    }

    /// <summary>Number of descriptors in the queue.</summary>
    public ushort Size => _size;

    /// <summary>Whether the queue is unusable (invalid configuration or ring corruption); see <see cref="LastError"/>.</summary>
    public bool IsBroken { get; private set; }

    /// <summary>The most recent driver error, or null if there was none.</summary>
    public QueueError? LastError { get; private set; }

    /// <summary>Number of driver errors found (rejected chains and queue corruption).</summary>
    public long ErrorCount { get; private set; }

    /// <summary>Number of chains successfully popped.</summary>
    public long PoppedChains { get; private set; }

    /// <summary>Number of entries added to the used ring.</summary>
    public long UsedEntries { get; private set; }

    /// <summary>
    /// Continues a queue a snapshot froze: the next available entry to consume and the next used index to publish
    /// (before the device first pops). The guest's rings themselves are in guest memory, restored with it.
    /// </summary>
    public void RestorePosition(ushort nextAvail, ushort nextUsed)
    {
        _nextAvail = nextAvail;
        _nextUsed = nextUsed;
    }

    /// <summary>The next available ring index the device will consume.</summary>
    public ushort NextAvailIndex => _nextAvail;

    /// <summary>The used index the device will publish next.</summary>
    public ushort NextUsedIndex => _nextUsed;

    /// <summary>
    /// Pops the next available chain. Returns true with a validated chain; false when there is nothing to pop,
    /// the queue is broken, or the chain was rejected. A rejected chain is consumed: when
    /// <paramref name="rejectedHead"/> is set the device must complete it with <c>AddUsed(head, 0)</c>
    /// (and an error status where the device has one), then may pop again.
    /// </summary>
    public bool TryPop([NotNullWhen(true)] out DescriptorChain? chain, out ushort? rejectedHead)
    {
        chain = null;
        rejectedHead = null;
        if (_walker is null || IsBroken)
        {
            return false;
        }

        try
        {
            var availIdx = _memory.Read<ushort>(_availRing + 2);
            var pending = unchecked((ushort)(availIdx - _nextAvail));
            if (pending == 0)
            {
                return false;
            }

            if (pending > _size)
            {
                MarkBroken(new QueueError(QueueErrorKind.AvailIndexJump,
                    $"avail.idx {availIdx} is {pending} entries ahead of the device's {_nextAvail}, more than the queue size {_size}"));
                return false;
            }

            // Read the ring entry only after avail.idx (the driver publishes the entry first).
            Interlocked.MemoryBarrier();
            var slot = (ulong)(_nextAvail % _size);
            var head = _memory.Read<ushort>(_availRing + 4 + (2 * slot));
            _nextAvail = unchecked((ushort)(_nextAvail + 1));
            if (head >= _size)
            {
                // There is no valid id to complete, so nothing goes back to the driver.
                Record(new QueueError(QueueErrorKind.HeadOutOfRange, $"avail ring slot {slot}: head {head} >= queue size {_size}"));
                return false;
            }

            if (!_walker.TryWalk(head, out chain, out var error))
            {
                Record(error);
                rejectedHead = head;
                return false;
            }

            PoppedChains++;
            return true;
        }
        catch (GuestMemoryException e)
        {
            // Ranges are validated before every access; reaching this is a bug, but the guest must not bring us down.
            chain = null;
            MarkBroken(new QueueError(QueueErrorKind.MemoryAccess, e.Message));
            return false;
        }
    }

    /// <summary>
    /// Pops the next valid chain. Malformed chains met on the way are consumed and handed back empty (used length 0,
    /// so the driver does not wait for them) and counted in <paramref name="rejected"/>; entries whose head is out of
    /// range are consumed without an answer and counted in <paramref name="lost"/>. False when nothing valid is
    /// available (or the queue is broken).
    /// </summary>
    public bool TryPopValid([NotNullWhen(true)] out DescriptorChain? chain, out int rejected, out int lost)
    {
        rejected = 0;
        lost = 0;
        while (true)
        {
            var errorsBefore = ErrorCount;
            if (TryPop(out chain, out var rejectedHead))
            {
                return true;
            }

            if (rejectedHead is { } head)
            {
                AddUsed(head, 0);
                rejected++;
            }
            else if (!IsBroken && ErrorCount != errorsBefore)
            {
                lost++;
            }
            else
            {
                return false;
            }
        }
    }

    /// <summary>
    /// Puts the chain popped last back: the next <see cref="TryPop"/> reads (and validates) the same ring entry again.
    /// For a device that may not serve a chain now (a rate limit). Only valid right after a successful pop.
    /// </summary>
    public void UndoPop() => UndoPops(1);

    /// <summary>Puts the last <paramref name="count"/> popped chains back (see <see cref="UndoPop"/>).</summary>
    public void UndoPops(int count)
    {
        _nextAvail = unchecked((ushort)(_nextAvail - count));
        PoppedChains -= count;
    }

    /// <summary>Whether the driver has published chains the device has not popped yet.</summary>
    public bool HasAvailable()
    {
        if (_walker is null || IsBroken)
        {
            return false;
        }

        return _memory.Read<ushort>(_availRing + 2) != _nextAvail;
    }

    /// <summary>Returns chain <paramref name="head"/> to the driver with <paramref name="writtenLength"/> bytes written.</summary>
    public void AddUsed(ushort head, uint writtenLength)
    {
        StageUsed(head, writtenLength);
        PublishUsed();
    }

    /// <summary>
    /// Writes a used element without publishing it: the driver sees staged elements only at <see cref="PublishUsed"/>,
    /// all at once (a frame spread over several receive buffers must appear whole).
    /// </summary>
    public void StageUsed(ushort head, uint writtenLength)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(head, _size);
        if (IsBroken)
        {
            return;
        }

        var slot = (ulong)(_nextUsed % _size);
        var element = _usedRing + 4 + (slot * VirtqLayout.UsedElementSize);
        _memory.Write(element, (uint)head);
        _memory.Write(element + 4, writtenLength);
        _nextUsed = unchecked((ushort)(_nextUsed + 1));
        UsedEntries++;
    }

    /// <summary>Publishes every staged used element (writes used.idx).</summary>
    public void PublishUsed()
    {
        if (IsBroken)
        {
            return;
        }

        // The elements must be visible before the index that publishes them.
        Interlocked.MemoryBarrier();
        _memory.Write(_usedRing + 2, _nextUsed);
    }

    /// <summary>
    /// Whether the driver wants an interrupt for the used entries added since the last call: with EVENT_IDX,
    /// vring_need_event(used_event, new, old); otherwise, unless avail.flags has NO_INTERRUPT.
    /// </summary>
    public bool NeedsNotification()
    {
        if (IsBroken)
        {
            return false;
        }

        // Our used.idx write must be visible before we read the driver's suppression state.
        Interlocked.MemoryBarrier();
        var old = _usedAtLastSignalCheck;
        var current = _nextUsed;
        _usedAtLastSignalCheck = current;
        if (_eventIdx)
        {
            var usedEvent = _memory.Read<ushort>(_availRing + 4 + (2 * (ulong)_size));
            // vring_need_event: 16-bit wrapping arithmetic on purpose.
            return unchecked((ushort)(current - usedEvent - 1) < (ushort)(current - old));
        }

        return (_memory.Read<ushort>(_availRing) & VirtqLayout.AvailNoInterrupt) == 0;
    }

    /// <summary>With EVENT_IDX, writes avail_event: the driver notifies once avail.idx passes <paramref name="value"/>.</summary>
    public void SetAvailEvent(ushort value)
    {
        if (!IsBroken)
        {
            _memory.Write(_usedRing + 4 + ((ulong)_size * VirtqLayout.UsedElementSize), value);
        }
    }

    /// <summary>
    /// Asks the driver to notify for new buffers (avail_event = next index with EVENT_IDX, else clears
    /// used.flags NO_NOTIFY). Returns true if buffers arrived meanwhile, so the caller must pop again.
    /// </summary>
    public bool EnableNotification()
    {
        if (IsBroken)
        {
            return false;
        }

        if (_eventIdx)
        {
            SetAvailEvent(_nextAvail);
        }
        else
        {
            _memory.Write(_usedRing, (ushort)0);
        }

        Interlocked.MemoryBarrier();
        return HasAvailable();
    }

    /// <summary>Asks the driver not to notify (sets used.flags NO_NOTIFY; a no-op with EVENT_IDX).</summary>
    public void DisableNotification()
    {
        if (!IsBroken && !_eventIdx)
        {
            _memory.Write(_usedRing, VirtqLayout.UsedNoNotify);
        }
    }

    private static string? Validate(GuestMemory memory, QueueConfig config)
    {
        var size = config.Size;
        if (!config.Ready)
        {
            return "queue is not ready";
        }

        if (size == 0 || size > VirtqLayout.MaxSize || !BitOperations.IsPow2(size))
        {
            return $"queue size {size} is not a power of 2 in 1..{VirtqLayout.MaxSize}";
        }

        if (config.DescriptorTable % 16 != 0 || config.AvailableRing % 2 != 0 || config.UsedRing % 4 != 0)
        {
            return $"misaligned rings: descriptors 0x{config.DescriptorTable:x} (16), avail 0x{config.AvailableRing:x} (2), used 0x{config.UsedRing:x} (4)";
        }

        if (!memory.IsValidRange(config.DescriptorTable, VirtqLayout.DescriptorTableBytes(size))
            || !memory.IsValidRange(config.AvailableRing, VirtqLayout.AvailableRingBytes(size))
            || !memory.IsValidRange(config.UsedRing, VirtqLayout.UsedRingBytes(size)))
        {
            return $"a ring is outside guest memory: descriptors 0x{config.DescriptorTable:x}, avail 0x{config.AvailableRing:x}, used 0x{config.UsedRing:x} (size {size})";
        }

        return null;
    }

    private void Record(QueueError error)
    {
        LastError = error;
        ErrorCount++;
    }

    private void MarkBroken(QueueError error)
    {
        IsBroken = true;
        Record(error);
    }
}
