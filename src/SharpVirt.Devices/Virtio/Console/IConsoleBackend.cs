using SharpVirt.Devices.EventLoop;

namespace SharpVirt.Devices.Virtio.Console;

/// <summary>
/// The host side of a virtio console: a byte stream both ways. Used from the device's loop thread only; the backend
/// registers its own descriptors on that loop (a listening socket and its client, say) and calls back when input may
/// be read or output may be written again.
/// </summary>
public interface IConsoleBackend : IDisposable
{
    /// <summary>Starts watching on <paramref name="loop"/> (one activation); the callbacks run on the loop thread.</summary>
    void Start(DeviceEventLoop loop, Action onInput, Action onWritable);

    /// <summary>Stops or resumes watching for input (paused while the guest has no receive buffers).</summary>
    void PauseInput(bool paused);

    /// <summary>Reads available input; returns the byte count, or 0 when there is none now.</summary>
    int Read(Span<byte> buffer);

    /// <summary>
    /// Writes output; returns how many bytes were taken. Fewer than given means "call again after onWritable". With
    /// nobody listening, everything is taken and dropped (as a serial line with nothing attached).
    /// </summary>
    int Write(ReadOnlySpan<byte> data);
}
