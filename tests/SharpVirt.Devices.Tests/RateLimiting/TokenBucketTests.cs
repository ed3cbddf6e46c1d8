using System.Diagnostics;
using SharpVirt.Devices.RateLimiting;

namespace SharpVirt.Devices.Tests.RateLimiting;

public sealed class TokenBucketTests
{
    private long _now;

    private TokenBucket Bucket(long size, int refillMs, long burst = 0) =>
        new(size, TimeSpan.FromMilliseconds(refillMs), burst, () => _now);

    private void Advance(double ms) => _now += (long)(ms * Stopwatch.Frequency / 1000);

    [Fact]
    public void A_full_bucket_gives_its_size_then_refills_at_size_per_refill_time()
    {
        var bucket = Bucket(1000, refillMs: 1000);
        Assert.True(bucket.TryConsume(600));
        Assert.True(bucket.TryConsume(400));
        Assert.False(bucket.TryConsume(1));
        Assert.Equal(1.0, bucket.TimeUntil(1).TotalMilliseconds, 0.1);

        Advance(250);
        Assert.True(bucket.TryConsume(250));
        Assert.False(bucket.TryConsume(1));
        Advance(5000);
        Assert.True(bucket.TryConsume(1000)); // capped at the size, not 5000
        Assert.False(bucket.TryConsume(1));
    }

    [Fact]
    public void A_request_larger_than_the_bucket_passes_when_full_and_leaves_a_debt()
    {
        var bucket = Bucket(100, refillMs: 100);
        Assert.True(bucket.TryConsume(300));
        Assert.False(bucket.TryConsume(1));
        Assert.Equal(201.0, bucket.TimeUntil(1).TotalMilliseconds, 0.5); // 200 tokens of debt, then 1
        Advance(150);
        Assert.False(bucket.TryConsume(100));
        Advance(200);
        Assert.True(bucket.TryConsume(100));
    }

    [Fact]
    public void The_one_time_burst_is_spent_first_and_only_once()
    {
        var bucket = Bucket(10, refillMs: 1000, burst: 50);
        Assert.True(bucket.TryConsume(50));
        Assert.True(bucket.TryConsume(10));
        Assert.False(bucket.TryConsume(1));
        Advance(1000);
        Assert.True(bucket.TryConsume(10));
        Assert.False(bucket.TryConsume(5));
    }

    [Fact]
    public void Bad_parameters_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Bucket(0, 1000));
        Assert.Throws<ArgumentOutOfRangeException>(() => Bucket(10, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Bucket(10, 1000, burst: -1));
    }

    [Fact]
    public void A_limiter_takes_from_both_buckets_or_neither()
    {
        var bytes = Bucket(1000, 1000);
        var ops = Bucket(2, 1000);
        var limiter = new RateLimiter(bytes, ops);
        Assert.True(limiter.TryConsume(100));
        Assert.True(limiter.TryConsume(100));
        Assert.False(limiter.TryConsume(100)); // out of operations
        Assert.Equal(1, limiter.Throttles);
        Assert.True(bytes.TryConsume(800)); // the refused request took no bytes
        Assert.True(limiter.TimeUntil(1) > TimeSpan.Zero);
    }
}
