using SharpVirt.Devices.Virtio.Queue;
using SharpVirt.Memory;

namespace SharpVirt.Devices.Virtio.Console;

/// <summary>
/// The receive side: host input is read into a small buffer and copied into the guest's receive chains. While the
/// guest has no buffer the input stays where it is (the backend is not read), so a fast typist is slowed, never lost.
/// </summary>
internal sealed class ConsoleRx
{
    private const int ChunkBytes = 4096;

    private readonly Virtqueue _queue;
    private readonly int _index;
    private readonly IVirtioInterrupt _interrupt;
    private readonly GuestMemory _memory;
    private readonly IConsoleBackend _backend;
    private readonly ConsoleMetrics _metrics;
    private readonly byte[] _chunk = new byte[ChunkBytes];
    private int _start;
    private int _end;
    private bool _paused;
    private bool _broken;

    internal ConsoleRx(VirtioActivation activation, Virtqueue queue, int index, IConsoleBackend backend, ConsoleMetrics metrics)
    {
        _queue = queue;
        _index = index;
        _interrupt = activation.Interrupt;
        _memory = activation.Memory;
        _backend = backend;
        _metrics = metrics;
    }

    /// <summary>Input arrived, or the guest posted buffers: deliver what fits.</summary>
    internal void Process()
    {
        var added = false;
        while (!_broken)
        {
            if (_start == _end)
            {
                _start = 0;
                _end = _backend.Read(_chunk);
                if (_end <= 0)
                {
                    _end = 0;
                    break;
                }
            }

            var popped = _queue.TryPopValid(out var chain, out var rejected, out var lost);
            _metrics.Errors.Add(rejected + lost);
            added |= rejected > 0;
            if (!popped)
            {
                _broken = _queue.IsBroken;
                if (_broken)
                {
                    _metrics.AddBrokenQueue();
                }

                // No buffer: ask to be told when there is one, and look again in case it came meanwhile.
                if (_broken || !_queue.EnableNotification())
                {
                    break;
                }

                continue;
            }

            var written = chain!.CopyTo(_memory, _chunk.AsSpan(_start, _end - _start), 0);
            _metrics.RxBytes.Add(written);
            if (written == 0)
            {
                _metrics.Errors.Increment(); // a chain with no writable byte
            }

            _queue.AddUsed(chain.Head, (uint)written);
            added = true;
            _start += written;
        }

        if (added && _queue.NeedsNotification())
        {
            _interrupt.SignalUsedBuffer(_index);
        }

        var pause = _start != _end || _broken;
        if (pause != _paused)
        {
            _paused = pause;
            _backend.PauseInput(pause);
        }
    }
}
