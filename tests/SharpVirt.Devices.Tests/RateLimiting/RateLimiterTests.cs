using SharpVirt.Devices.RateLimiting;

namespace SharpVirt.Devices.Tests.RateLimiting;

public sealed class RateLimiterTests
{
    private const long Now = 0;

    private static TokenBucket Frozen(long size) => new(size, TimeSpan.FromSeconds(1), 0, () => Now);

    [Fact]
    public void An_unlimited_limiter_passes_everything_until_reconfigured_and_then_limits()
    {
        var limiter = RateLimiter.Unlimited();
        Assert.False(limiter.IsLimited);
        for (var i = 0; i < 1000; i++)
        {
            Assert.True(limiter.TryConsume(1 << 20));
        }

        limiter.Reconfigure(null, Frozen(2));
        Assert.True(limiter.IsLimited);
        Assert.True(limiter.TryConsume(1));
        Assert.True(limiter.TryConsume(1));
        Assert.False(limiter.TryConsume(1));
        Assert.Equal(1, limiter.Throttles);

        limiter.Reconfigure(null, null);
        Assert.False(limiter.IsLimited);
        Assert.True(limiter.TryConsume(1));
    }
}
