using SharpVirt.Devices.EventLoop;
using SharpVirt.Devices.Tests.Virtio.Rng;
using SharpVirt.Interop;
using SharpVirt.Interop.Events;

namespace SharpVirt.Devices.Tests.EventLoop;

/// <summary>The device loop: handlers, muting, timers, posting, fault containment.</summary>
public sealed unsafe class DeviceEventLoopTests
{
    private const int SOCK_STREAM = 1;

    /// <summary>A stream pair: when one end closes, the other reports a hang-up (a datagram pair reports none).</summary>
    private static (FileDescriptor A, FileDescriptor B) SocketPair(int type = SOCK_STREAM)
    {
        var fds = stackalloc int[2];
        Errno.Check(LibC.socketpair(LibC.AF_UNIX, type | 0x800 | LibC.O_CLOEXEC, 0, fds), "socketpair");
        return (new FileDescriptor(fds[0]), new FileDescriptor(fds[1]));
    }

    [Fact]
    public void A_muted_descriptor_whose_peer_hung_up_does_not_wake_the_loop()
    {
        var (mine, peer) = SocketPair();
        using var _ = mine;
        var calls = 0;
        using var loop = new DeviceEventLoop("test-loop", _ => { });
        loop.Add(mine, Epoll.In, _ => Interlocked.Increment(ref calls));
        loop.Modify(mine, 0); // muted, as a device mutes a socket it cannot serve now
        loop.Start();
        peer.Dispose(); // the peer goes away: epoll would report a hang-up whatever the interest

        Thread.Sleep(300);
        Assert.Equal(0, Volatile.Read(ref calls));

        loop.Post(() => loop.Modify(mine, Epoll.In)); // unmuted: the hang-up is seen
        Assert.True(RngTestRig.WaitFor(() => Volatile.Read(ref calls) > 0));
    }

    [Fact]
    public void Timers_run_in_order_and_posted_work_runs_on_the_loop_thread()
    {
        var order = new List<string>();
        using var loop = new DeviceEventLoop("test-loop", _ => { });
        using var done = new ManualResetEventSlim();
        loop.Start();
        loop.Post(() =>
        {
            Assert.True(loop.IsLoopThread);
            loop.Schedule(TimeSpan.FromMilliseconds(80), () => { order.Add("late"); done.Set(); });
            loop.Schedule(TimeSpan.FromMilliseconds(20), () => order.Add("early"));
            order.Add("posted");
        });

        Assert.True(done.Wait(TimeSpan.FromSeconds(5)));
        Assert.Equal(["posted", "early", "late"], order);
    }

    [Fact]
    public void A_handler_that_throws_is_dropped_reported_and_the_others_go_on()
    {
        var (a, aPeer) = SocketPair();
        var (b, bPeer) = SocketPair();
        using var d1 = a;
        using var d2 = aPeer;
        using var d3 = b;
        using var d4 = bPeer;
        var faults = 0;
        var served = 0;
        using var loop = new DeviceEventLoop("test-loop", _ => Interlocked.Increment(ref faults));
        loop.Add(a, Epoll.In, _ => throw new InvalidOperationException("a bug"));
        loop.Add(b, Epoll.In, _ =>
        {
            var buffer = stackalloc byte[16];
            LibC.read(b, buffer, 16);
            Interlocked.Increment(ref served);
        });
        loop.Start();
        byte one = 1;
        LibC.write(aPeer, &one, 1); // stays unread: the throwing handler would be called forever if kept
        Assert.True(RngTestRig.WaitFor(() => Volatile.Read(ref faults) == 1));
        LibC.write(bPeer, &one, 1);
        Assert.True(RngTestRig.WaitFor(() => Volatile.Read(ref served) == 1));
        Thread.Sleep(100);
        Assert.Equal(1, Volatile.Read(ref faults));
    }

    [Fact]
    public void A_paused_loop_runs_nothing_until_resumed_and_then_serves_what_came_meanwhile()
    {
        using var ready = new EventFd();
        var calls = 0;
        using var loop = new DeviceEventLoop("test-loop", _ => { });
        loop.Add(ready.Handle, Epoll.In, _ => { ready.TryConsume(); Interlocked.Increment(ref calls); });
        loop.Start();
        ready.Signal();
        Assert.True(RngTestRig.WaitFor(() => Volatile.Read(ref calls) == 1));

        for (var round = 2; round < 12; round++)
        {
            loop.Pause();
            var posted = 0;
            ready.Signal();
            loop.Post(() => Interlocked.Increment(ref posted));
            Thread.Sleep(round == 2 ? 200 : 5);
            Assert.Equal(round - 1, Volatile.Read(ref calls));
            Assert.Equal(0, Volatile.Read(ref posted));

            loop.Resume();
            var expected = round;
            Assert.True(RngTestRig.WaitFor(() => Volatile.Read(ref calls) == expected && Volatile.Read(ref posted) == 1));
        }
    }

    [Fact]
    public void A_paused_loop_stops()
    {
        using var loop = new DeviceEventLoop("test-loop", _ => { });
        using var stopped = new ManualResetEventSlim();
        loop.Start();
        loop.Pause();
        new Thread(() => { loop.Stop(); stopped.Set(); }) { IsBackground = true }.Start();
        Assert.True(stopped.Wait(TimeSpan.FromSeconds(5)));
    }
}
