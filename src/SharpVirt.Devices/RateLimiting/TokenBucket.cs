using System.Diagnostics;

namespace SharpVirt.Devices.RateLimiting;

/// <summary>
/// A token bucket (as Firecracker's rate limiter): it holds up to <see cref="Size"/> tokens, refills at
/// <see cref="Size"/> per refill time, and may start with a one-time burst on top. A request costing more than the
/// whole bucket passes once the bucket is full and leaves it in debt, so large requests are slowed, never refused.
/// Not thread-safe: one device loop owns it. The clock is injectable for tests.
/// </summary>
public sealed class TokenBucket
{
    private readonly Func<long> _now;
    private readonly double _tokensPerTick;
    private double _budget;
    private long _burst;
    private long _lastRefill;

    /// <summary>Creates a full bucket.</summary>
    /// <param name="size">Tokens the bucket holds (bytes or operations); at least 1.</param>
    /// <param name="refillTime">Time to refill from empty to full; positive.</param>
    /// <param name="oneTimeBurst">Extra tokens usable once, before the refill rate applies.</param>
    /// <param name="clock">Timestamps in <see cref="Stopwatch.Frequency"/> ticks; defaults to <see cref="Stopwatch.GetTimestamp"/>.</param>
    public TokenBucket(long size, TimeSpan refillTime, long oneTimeBurst = 0, Func<long>? clock = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(refillTime, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegative(oneTimeBurst);
        Size = size;
        _now = clock ?? Stopwatch.GetTimestamp;
        _tokensPerTick = size / (refillTime.TotalSeconds * Stopwatch.Frequency);
        _budget = size;
        _burst = oneTimeBurst;
        _lastRefill = _now();
    }

    /// <summary>The bucket's capacity.</summary>
    public long Size { get; }

    /// <summary>Takes <paramref name="tokens"/> if the bucket can give them now (see the class remarks for large requests).</summary>
    public bool TryConsume(long tokens)
    {
        Refill();
        if (_burst >= tokens)
        {
            _burst -= tokens;
            return true;
        }

        var needed = Math.Min(tokens - _burst, Size);
        if (_budget < needed)
        {
            return false;
        }

        _budget -= tokens - _burst;
        _burst = 0;
        return true;
    }

    /// <summary>How long until <paramref name="tokens"/> could be taken (zero if now).</summary>
    public TimeSpan TimeUntil(long tokens)
    {
        Refill();
        var missing = Math.Min(tokens - _burst, Size) - _budget;
        return missing <= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(missing / _tokensPerTick / Stopwatch.Frequency);
    }

    private void Refill()
    {
        var now = _now();
        var elapsed = now - _lastRefill;
        _lastRefill = now;
        if (elapsed > 0)
        {
            _budget = Math.Min(Size, _budget + (elapsed * _tokensPerTick));
        }
    }
}
