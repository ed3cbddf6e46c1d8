using SharpVirt.Devices.Tests.Virtio.Rng;
using SharpVirt.Devices.Virtio;
using SharpVirt.Devices.Virtio.Queue;

namespace SharpVirt.Devices.Tests.Virtio;

/// <summary>The request queue's drain: batching, and yielding to the rest of its loop when a driver keeps it full.</summary>
public sealed class RequestQueueTests : IDisposable
{
    private readonly SharpVirt.Memory.GuestMemory _memory = MockQueue.CreateMemory();

    public void Dispose() => _memory.Dispose();

    /// <summary>A server whose every request makes the "driver" publish another, so the queue is never empty.</summary>
    private sealed class RefillingServer(MockQueue driver, int limit) : IQueueServer
    {
        public int Served { get; private set; }

        public ServeResult Serve(DescriptorChain chain)
        {
            if (++Served < limit)
            {
                driver.AddChain((MockQueue.DataArea, 16, true));
            }

            return ServeResult.Done(0);
        }

        public void OnRejected()
        {
        }

        public void OnError()
        {
        }

        public void OnBroken()
        {
        }
    }

    [Fact]
    public void A_drain_stops_after_one_ring_of_chains_and_re_arms_when_the_driver_keeps_the_queue_full()
    {
        var driver = new MockQueue(_memory, 16);
        var server = new RefillingServer(driver, limit: 10_000);
        var rearmed = 0;
        var queue = new RequestQueue(driver.CreateQueue(), 0, new RecordingInterrupt(), server, () => rearmed++);
        driver.AddChain((MockQueue.DataArea, 16, true));

        queue.Drain();

        Assert.Equal(16, server.Served); // one ring's worth, not the 10,000 the driver would keep feeding
        Assert.Equal(1, rearmed);
        queue.Drain();
        Assert.Equal(32, server.Served);
        Assert.Equal(2, rearmed);
    }

    [Fact]
    public void A_drain_that_empties_the_queue_does_not_re_arm()
    {
        var driver = new MockQueue(_memory, 16);
        var server = new RefillingServer(driver, limit: 0);
        var rearmed = 0;
        var queue = new RequestQueue(driver.CreateQueue(), 0, new RecordingInterrupt(), server, () => rearmed++);
        for (var i = 0; i < 5; i++)
        {
            driver.AddChain((MockQueue.DataArea, 16, true));
        }

        queue.Drain();

        Assert.Equal(5, server.Served);
        Assert.Equal(0, rearmed);
        Assert.Equal(5, driver.UsedIdx);
    }
}
