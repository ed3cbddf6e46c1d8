namespace SharpVirt.Devices.Virtio.Block;

/// <summary>
/// The I/O threads of one block device activation: the loop thread hands them requests and goes on serving the
/// queue, so a slow disk never stalls notifications or the rate limiter, and several requests are in flight at once.
/// Each thread has its own scratch buffer. <see cref="Dispose"/> drops the requests not started yet (the device is
/// resetting: they are never answered) and waits for the ones running, so after it nothing touches guest memory.
/// </summary>
internal sealed class BlockIoPool : IDisposable
{
    private readonly object _gate = new(); // A Monitor: the threads wait on it.
    private readonly Queue<Action<byte[]>> _work = new();
    private readonly Thread[] _threads;
    private readonly Action _onFault;
    private bool _stopping;

    internal BlockIoPool(int threads, string name, Action onFault)
    {
        _onFault = onFault;
        _threads = new Thread[threads];
        for (var i = 0; i < threads; i++)
        {
            _threads[i] = new Thread(Run) { Name = $"{name}-io{i}", IsBackground = true };
            _threads[i].Start();
        }
    }

    /// <summary>Runs <paramref name="work"/> on an I/O thread, which passes its bounce buffer.</summary>
    internal void Submit(Action<byte[]> work)
    {
        lock (_gate)
        {
            _work.Enqueue(work);
            Monitor.Pulse(_gate);
        }
    }

    private void Run()
    {
        var buffer = new byte[BlockIo.ChunkBytes];
        while (true)
        {
            Action<byte[]> work;
            lock (_gate)
            {
                while (_work.Count == 0 && !_stopping)
                {
                    Monitor.Wait(_gate);
                }

                if (_stopping)
                {
                    return;
                }

                work = _work.Dequeue();
            }

            try
            {
                work(buffer);
            }
#pragma warning disable CA1031 // An I/O thread must survive anything: an escaped exception would end the VMM process.
            catch (Exception)
#pragma warning restore CA1031
            {
                _onFault(); // that request is never answered; the others go on
            }
        }
    }

    /// <summary>Drops what has not started, lets what runs finish, then ends the threads.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _stopping = true;
            _work.Clear();
            Monitor.PulseAll(_gate);
        }

        foreach (var thread in _threads)
        {
            thread.Join();
        }
    }
}
