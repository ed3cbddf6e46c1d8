using System.Diagnostics;
using System.Runtime.InteropServices;
using SharpVirt.Interop.Events;

namespace SharpVirt.Devices.EventLoop;

/// <summary>
/// The thread a device serves its guest on: an epoll loop over the device's descriptors (queue eventfds, a tap,
/// sockets) with one-shot timers, so no device work ever runs on a vCPU thread. Handlers and timers run on the loop
/// thread only, one at a time, so device state they share needs no lock. A handler that throws is removed (its
/// descriptor would stay ready and spin the loop) and reported through the fault callback; the loop keeps serving
/// the others. <see cref="Stop"/> returns once the thread no longer runs any handler.
/// </summary>
public sealed class DeviceEventLoop : IDisposable
{
    private const ulong WakeToken = 0;
    private readonly Epoll _epoll = new();
    private readonly EventFd _wake = new();
    private readonly Dictionary<ulong, Registration> _handlers = [];
    private readonly Lock _postedLock = new();
    private readonly Queue<Action> _posted = new();
    private readonly PriorityQueue<Action, long> _timers = new();
    private readonly Action<Exception> _onFault;
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _resume = new(initialState: true);
    private readonly ManualResetEventSlim _parked = new();
    private readonly ManualResetEventSlim _unparked = new(initialState: true);
    private ulong _nextToken = WakeToken + 1;
    private volatile bool _stopping;
    private bool _started;

    /// <summary>Creates the loop; nothing runs until <see cref="Start"/>.</summary>
    /// <param name="threadName">The thread's name ("virtio-net", ...), seen in debuggers and /proc.</param>
    /// <param name="onFault">Told of each exception a handler or timer threw (on the loop thread).</param>
    public DeviceEventLoop(string threadName, Action<Exception> onFault)
    {
        _onFault = onFault;
        _epoll.Add(_wake.Handle, Epoll.In, WakeToken);
        _thread = new Thread(Run) { Name = threadName, IsBackground = true };
    }

    /// <summary>Whether the caller runs on the loop thread.</summary>
    public bool IsLoopThread => Thread.CurrentThread == _thread;

    /// <summary>
    /// Calls <paramref name="handler"/> with the ready events whenever <paramref name="fd"/> has one of
    /// <paramref name="events"/>. With no events the handler is kept but the descriptor is not watched at all (see
    /// <see cref="Modify"/>).
    /// </summary>
    public void Add(SafeHandle fd, uint events, Action<uint> handler)
    {
        var registration = new Registration(_nextToken++, fd, handler);
        _handlers[registration.Token] = registration;
        Watch(registration, events);
    }

    /// <summary>
    /// Changes the events watched for <paramref name="fd"/> (on the loop thread, or before <see cref="Start"/>). Zero
    /// events take the descriptor out of epoll altogether: level-triggered epoll reports a hang-up or an error whatever
    /// the interest, so a muted socket whose peer closed would otherwise wake the loop forever.
    /// </summary>
    public void Modify(SafeHandle fd, uint events)
    {
        foreach (var registration in _handlers.Values)
        {
            if (registration.Fd == fd)
            {
                Watch(registration, events);
                return;
            }
        }
    }

    /// <summary>Stops watching <paramref name="fd"/> and forgets its handler (on the loop thread, or before <see cref="Start"/>).</summary>
    public void Remove(SafeHandle fd)
    {
        foreach (var (token, registration) in _handlers)
        {
            if (registration.Fd == fd)
            {
                _handlers.Remove(token);
                Watch(registration, 0);
                return;
            }
        }
    }

    private void Watch(Registration registration, uint events)
    {
        if (events == 0)
        {
            if (registration.Watched)
            {
                registration.Watched = false;
                if (!registration.Fd.IsClosed)
                {
                    _epoll.Remove(registration.Fd);
                }
            }

            return;
        }

        if (registration.Watched)
        {
            _epoll.Modify(registration.Fd, events, registration.Token);
        }
        else
        {
            _epoll.Add(registration.Fd, events, registration.Token);
            registration.Watched = true;
        }
    }

    /// <summary>Runs <paramref name="action"/> once on the loop thread after <paramref name="delay"/> (loop thread only).</summary>
    public void Schedule(TimeSpan delay, Action action) =>
        _timers.Enqueue(action, Stopwatch.GetTimestamp() + (long)(Math.Max(0, delay.TotalSeconds) * Stopwatch.Frequency));

    /// <summary>Runs <paramref name="action"/> on the loop thread soon; callable from any thread.</summary>
    public void Post(Action action)
    {
        lock (_postedLock)
        {
            _posted.Enqueue(action);
        }

        _wake.Signal();
    }

    /// <summary>Starts the thread.</summary>
    public void Start()
    {
        _started = true;
        _thread.Start();
    }

    /// <summary>
    /// Parks the thread between two events and returns once it runs nothing (from another thread; call
    /// <see cref="Pause"/> and <see cref="Resume"/> from one thread). Events that come meanwhile wait in epoll.
    /// </summary>
    public void Pause()
    {
        if (!_started || _stopping || IsLoopThread || !_resume.IsSet)
        {
            return;
        }

        _resume.Reset();
        Post(Park);
        while (!_parked.Wait(10) && _thread.IsAlive)
        {
        }
    }

    /// <summary>Lets a paused thread go on; returns once it has left its park.</summary>
    public void Resume()
    {
        _unparked.Reset();
        _resume.Set();
        if (!_parked.IsSet)
        {
            _unparked.Set(); // it was not parked: nothing to wait for
        }

        while (!_unparked.Wait(10) && _thread.IsAlive)
        {
        }
    }

    private void Park()
    {
        _parked.Set();
        _resume.Wait();
        _parked.Reset();
        _unparked.Set();
    }

    /// <summary>Asks the thread to exit and waits for it (the handler in progress, if any, completes first).</summary>
    public void Stop()
    {
        _stopping = true;
        _resume.Set();
        _wake.Signal();
        if (_started && !IsLoopThread)
        {
            _thread.Join();
        }
    }

    private void Run()
    {
        Span<EpollEvent> ready = stackalloc EpollEvent[32];
        while (!_stopping)
        {
            var count = _epoll.Wait(ready, TimeoutUntilNextTimer());
            for (var i = 0; i < count && !_stopping; i++)
            {
                if (ready[i].Token == WakeToken)
                {
                    _wake.TryConsume();
                    RunPosted();
                }
                else if (_handlers.TryGetValue(ready[i].Token, out var registration))
                {
                    Invoke(registration, ready[i].Events);
                }
            }

            RunDueTimers();
        }
    }

    private int TimeoutUntilNextTimer()
    {
        if (!_timers.TryPeek(out _, out var due))
        {
            return -1;
        }

        var ms = (due - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency;
        return (int)Math.Clamp(ms + 1, 0, int.MaxValue);
    }

    private void RunDueTimers()
    {
        var now = Stopwatch.GetTimestamp();
        while (!_stopping && _timers.TryPeek(out var action, out var due) && due <= now)
        {
            _timers.Dequeue();
            Invoke(action);
        }
    }

    private void RunPosted()
    {
        while (!_stopping)
        {
            Action? action;
            lock (_postedLock)
            {
                if (!_posted.TryDequeue(out action))
                {
                    return;
                }
            }

            Invoke(action);
        }
    }

    private void Invoke(Registration registration, uint events)
    {
        try
        {
            registration.Handler(events);
        }
#pragma warning disable CA1031 // The loop must survive any handler: an escaped exception would end the VMM process.
        catch (Exception e)
#pragma warning restore CA1031
        {
            // Its descriptor would stay ready and spin the loop.
            Remove(registration.Fd);
            _onFault(e);
        }
    }

    private void Invoke(Action action)
    {
        try
        {
            action();
        }
#pragma warning disable CA1031 // The loop must survive any handler: an escaped exception would end the VMM process.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _onFault(e);
        }
    }

    /// <summary>Stops the thread and frees the epoll instance.</summary>
    public void Dispose()
    {
        Stop();
        _epoll.Dispose();
        _wake.Dispose();
        _resume.Dispose();
        _parked.Dispose();
        _unparked.Dispose();
    }

    private sealed class Registration(ulong token, SafeHandle fd, Action<uint> handler)
    {
        public ulong Token { get; } = token;

        public SafeHandle Fd { get; } = fd;

        public Action<uint> Handler { get; } = handler;

        /// <summary>Whether the descriptor is in the epoll set now.</summary>
        public bool Watched { get; set; }
    }
}
