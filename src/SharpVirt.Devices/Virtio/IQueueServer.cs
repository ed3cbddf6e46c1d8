using SharpVirt.Devices.Virtio.Queue;

namespace SharpVirt.Devices.Virtio;

/// <summary>What a <see cref="RequestQueue"/> does with one popped chain.</summary>
public enum ServeKind
{
    /// <summary>Done: the chain goes back to the driver now with the used length.</summary>
    Completed,

    /// <summary>Taken: the server completes it later through <see cref="RequestQueue.CompleteAndSignal"/> (asynchronous I/O).</summary>
    Pending,

    /// <summary>Not now (a rate limit): the chain is put back and the queue pauses until <see cref="RequestQueue.Resume"/>.</summary>
    Throttled,
}

/// <summary>The result of serving one chain.</summary>
/// <param name="Kind">Completed, pending or throttled.</param>
/// <param name="UsedLength">Bytes written to the guest (for <see cref="ServeKind.Completed"/>).</param>
public readonly record struct ServeResult(ServeKind Kind, uint UsedLength)
{
    /// <summary>Completed with <paramref name="usedLength"/> bytes written to the guest.</summary>
    public static ServeResult Done(uint usedLength) => new(ServeKind.Completed, usedLength);

    /// <summary>The server keeps the chain and completes it later.</summary>
    public static ServeResult Pending => new(ServeKind.Pending, 0);

    /// <summary>The chain is put back: the queue waits for tokens.</summary>
    public static ServeResult Throttled => new(ServeKind.Throttled, 0);
}

/// <summary>What a device does with the chains of one of its request queues.</summary>
public interface IQueueServer
{
    /// <summary>Serves one valid chain (on the device's loop thread).</summary>
    ServeResult Serve(DescriptorChain chain);

    /// <summary>A malformed chain was consumed and handed back empty.</summary>
    void OnRejected();

    /// <summary>An entry was lost (head out of range) or serving failed unexpectedly.</summary>
    void OnError();

    /// <summary>The queue is broken: it is not touched again until the driver resets the device.</summary>
    void OnBroken();
}
