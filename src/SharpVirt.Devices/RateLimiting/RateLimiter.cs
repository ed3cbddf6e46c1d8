namespace SharpVirt.Devices.RateLimiting;

/// <summary>
/// A bandwidth bucket (bytes) and an operations bucket, either optional: a request passes when both have room.
/// Tokens are taken from both or from neither. Not thread-safe: one device loop owns it.
/// </summary>
public sealed class RateLimiter
{
    private readonly TokenBucket? _bytes;
    private readonly TokenBucket? _ops;

    /// <summary>Creates a limiter from its two buckets (null: that dimension is unlimited).</summary>
    public RateLimiter(TokenBucket? bytes, TokenBucket? ops)
    {
        _bytes = bytes;
        _ops = ops;
    }

    /// <summary>Times a request was held back for lack of tokens.</summary>
    public long Throttles { get; private set; }

    /// <summary>Takes one operation and <paramref name="bytes"/> bytes; false (nothing taken) if either bucket is short.</summary>
    public bool TryConsume(long bytes)
    {
        if ((_bytes is not null && _bytes.TimeUntil(bytes) > TimeSpan.Zero) || (_ops is not null && _ops.TimeUntil(1) > TimeSpan.Zero))
        {
            Throttles++;
            return false;
        }

        _bytes?.TryConsume(bytes);
        _ops?.TryConsume(1);
        return true;
    }

    /// <summary>How long until a request of <paramref name="bytes"/> bytes would pass.</summary>
    public TimeSpan TimeUntil(long bytes)
    {
        var bytesWait = _bytes?.TimeUntil(bytes) ?? TimeSpan.Zero;
        var opsWait = _ops?.TimeUntil(1) ?? TimeSpan.Zero;
        return bytesWait > opsWait ? bytesWait : opsWait;
    }
}
