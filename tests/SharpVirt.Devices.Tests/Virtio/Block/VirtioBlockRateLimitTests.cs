using System.Diagnostics;
using SharpVirt.Devices.RateLimiting;
using SharpVirt.Devices.Tests.Virtio.Rng;
using static SharpVirt.Devices.Tests.Virtio.Block.BlockTestRig;

namespace SharpVirt.Devices.Tests.Virtio.Block;

/// <summary>The block device's rate limit, on the real clock: requests beyond the budget wait, none is lost.</summary>
public sealed class VirtioBlockRateLimitTests
{
    [Fact]
    public void Requests_beyond_the_operations_budget_wait_for_the_refill_and_all_complete()
    {
        // Two operations per 300 ms: five reads need at least two refills (about 450 ms).
        var limiter = new RateLimiter(null, new TokenBucket(2, TimeSpan.FromMilliseconds(300)));
        using var rig = new BlockTestRig(limiter: limiter);
        rig.Activate();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 5; i++)
        {
            var header = Header + (ulong)(i * 0x20);
            rig.WriteHeader(In, (ulong)i, header);
            rig.Driver.AddChain((header, 16, false), (Data + (ulong)(i * 0x1000), 512, true), (Status + (ulong)i, 1, true));
        }

        rig.Notify();
        Assert.True(RngTestRig.WaitFor(() => rig.Driver.UsedIdx == 5), $"used.idx {rig.Driver.UsedIdx}");
        Assert.True(clock.ElapsedMilliseconds >= 400, $"five requests took {clock.ElapsedMilliseconds} ms");
        Assert.Equal(5, rig.Device.Metrics.ReadRequests.Value);
        Assert.True(rig.Device.Metrics.Throttles.Value >= 2);
    }

    [Fact]
    public void The_bandwidth_budget_counts_bytes()
    {
        // 8 KiB per 200 ms: 32 KiB of reads need about 600 ms.
        var limiter = new RateLimiter(new TokenBucket(8192, TimeSpan.FromMilliseconds(200)), null);
        using var rig = new BlockTestRig(limiter: limiter);
        rig.Activate();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 4; i++)
        {
            var header = Header + (ulong)(i * 0x20);
            rig.WriteHeader(In, (ulong)(i * 16), header);
            rig.Driver.AddChain((header, 16, false), (Data + (ulong)(i * 0x2000), 8192, true), (Status + (ulong)i, 1, true));
        }

        rig.Notify();
        Assert.True(RngTestRig.WaitFor(() => rig.Driver.UsedIdx == 4));
        Assert.True(clock.ElapsedMilliseconds >= 500, $"32 KiB took {clock.ElapsedMilliseconds} ms");
        Assert.Equal(32768, rig.Device.Metrics.BytesRead.Value);
    }
}
