namespace SharpVirt.Devices.RateLimiting;

/// <summary>
/// A bandwidth bucket (bytes) and an operations bucket, either optional: a request passes when both have room.
/// Tokens are taken from both or from neither. One device loop consumes; <see cref="Reconfigure"/> may be called
/// from any thread (a live update): the pair of buckets is swapped as one reference, so the loop sees the old pair or
/// the new one, never half of each.
/// </summary>
public sealed class RateLimiter
{
    private volatile Buckets _buckets;

    /// <summary>Creates a limiter from its two buckets (null: that dimension is unlimited).</summary>
    public RateLimiter(TokenBucket? bytes, TokenBucket? ops) => _buckets = new Buckets(bytes, ops);

    /// <summary>A limiter that lets everything through until it is reconfigured.</summary>
    public static RateLimiter Unlimited() => new(null, null);

    /// <summary>Times a request was held back for lack of tokens.</summary>
    public long Throttles { get; private set; }

    /// <summary>Whether either bucket is set.</summary>
    public bool IsLimited => _buckets is { Bytes: not null } or { Ops: not null };

    /// <summary>Replaces both buckets (fresh and full); nulls remove the limit. Callable from any thread.</summary>
    public void Reconfigure(TokenBucket? bytes, TokenBucket? ops) => _buckets = new Buckets(bytes, ops);

    /// <summary>Takes one operation and <paramref name="bytes"/> bytes; false (nothing taken) if either bucket is short.</summary>
    public bool TryConsume(long bytes)
    {
        var (bytesBucket, opsBucket) = _buckets;
        if ((bytesBucket is not null && bytesBucket.TimeUntil(bytes) > TimeSpan.Zero) || (opsBucket is not null && opsBucket.TimeUntil(1) > TimeSpan.Zero))
        {
            Throttles++;
            return false;
        }

        bytesBucket?.TryConsume(bytes);
        opsBucket?.TryConsume(1);
        return true;
    }

    /// <summary>How long until a request of <paramref name="bytes"/> bytes would pass.</summary>
    public TimeSpan TimeUntil(long bytes)
    {
        var (bytesBucket, opsBucket) = _buckets;
        var bytesWait = bytesBucket?.TimeUntil(bytes) ?? TimeSpan.Zero;
        var opsWait = opsBucket?.TimeUntil(1) ?? TimeSpan.Zero;
        return bytesWait > opsWait ? bytesWait : opsWait;
    }

    private sealed record Buckets(TokenBucket? Bytes, TokenBucket? Ops);
}
