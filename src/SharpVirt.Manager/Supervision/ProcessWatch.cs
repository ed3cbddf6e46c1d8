using SharpVirt.Interop;
using SharpVirt.Interop.Events;

namespace SharpVirt.Manager.Supervision;

/// <summary>
/// Tells when watched processes exit: one thread waits in epoll on every VMM's pidfd, so a host with many VMs costs
/// one thread, and processes that are not the daemon's children (re-attached after a restart) are watched the same way.
/// </summary>
public sealed class ProcessWatch : IDisposable
{
    private readonly Epoll _epoll = new();
    private readonly Dictionary<ulong, (FileDescriptor PidFd, Action Exited)> _watched = [];
    private readonly Lock _lock = new();
    private readonly Thread _thread;
    private ulong _nextToken = 1;
    private volatile bool _disposed;

    /// <summary>Starts the watching thread.</summary>
    public ProcessWatch()
    {
        _thread = new Thread(Run) { Name = "vmm-watch", IsBackground = true };
        _thread.Start();
    }

    /// <summary>Calls <paramref name="exited"/> once, on the watch thread, when the process behind <paramref name="pidfd"/> exits.</summary>
    public void Watch(FileDescriptor pidfd, Action exited)
    {
        lock (_lock)
        {
            var token = _nextToken++;
            _watched[token] = (pidfd, exited);
            _epoll.Add(pidfd, Epoll.In, token);
        }
    }

    private void Run()
    {
        Span<EpollEvent> ready = stackalloc EpollEvent[16];
        while (!_disposed)
        {
            var n = _epoll.Wait(ready, 250);
            for (var i = 0; i < n; i++)
            {
                Action? exited = null;
                lock (_lock)
                {
                    if (_watched.Remove(ready[i].Token, out var entry))
                    {
                        _epoll.Remove(entry.PidFd);
                        exited = entry.Exited;
                    }
                }

                exited?.Invoke();
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _disposed = true;
        _thread.Join();
        _epoll.Dispose();
    }
}
