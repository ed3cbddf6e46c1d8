using SharpVirt.Devices.Virtio.Queue;
using SharpVirt.Memory;

namespace SharpVirt.Devices.Virtio.Rng;

/// <summary>What the virtio-rng request queue does with each chain: fill its writable part with entropy.</summary>
internal sealed class RngQueueServer(GuestMemory memory, Action<Span<byte>> fill, RngMetrics metrics) : IQueueServer
{
    /// <summary>The most bytes one request gets (virtio-rng may return fewer than asked for); caps the host buffer.</summary>
    internal const int MaxRequestBytes = 64 * 1024;

    private readonly byte[] _buffer = new byte[MaxRequestBytes];

    /// <inheritdoc />
    public ServeResult Serve(DescriptorChain chain)
    {
        var length = (int)Math.Min(chain.WritableLength, (uint)MaxRequestBytes);
        var entropy = _buffer.AsSpan(0, length);
        if (length == 0 || !TryFill(entropy))
        {
            // Nothing writable, or the host source failed: the driver gets nothing but is not left waiting.
            metrics.Errors.Increment();
            metrics.AddRequest(0);
            return ServeResult.Done(0);
        }

        var written = chain.CopyTo(memory, entropy, 0);
        entropy.Clear();
        metrics.AddRequest((uint)written);
        return ServeResult.Done((uint)written);
    }

    /// <inheritdoc />
    public void OnRejected()
    {
        metrics.Errors.Increment();
        metrics.AddRequest(0);
    }

    /// <inheritdoc />
    public void OnError() => metrics.Errors.Increment();

    /// <inheritdoc />
    public void OnBroken() => metrics.AddBrokenQueue();

    private bool TryFill(Span<byte> entropy)
    {
        try
        {
            fill(entropy);
            return true;
        }
#pragma warning disable CA1031 // Any failure of the injected source is reported to the driver as an empty answer.
        catch (Exception)
#pragma warning restore CA1031
        {
            entropy.Clear();
            return false;
        }
    }
}
