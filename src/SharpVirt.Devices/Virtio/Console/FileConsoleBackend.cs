using SharpVirt.Devices.EventLoop;

namespace SharpVirt.Devices.Virtio.Console;

/// <summary>A console whose output is appended to a file (and flushed per write, so <c>tail -f</c> follows it); no input.</summary>
public sealed class FileConsoleBackend(string path) : IConsoleBackend
{
    private readonly FileStream _file = new(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);

    /// <inheritdoc />
    public void Start(DeviceEventLoop loop, Action onInput, Action onWritable)
    {
    }

    /// <inheritdoc />
    public void PauseInput(bool paused)
    {
    }

    /// <inheritdoc />
    public int Read(Span<byte> buffer) => 0;

    /// <inheritdoc />
    public int Write(ReadOnlySpan<byte> data)
    {
        _file.Write(data);
        _file.Flush();
        return data.Length;
    }

    /// <inheritdoc />
    public void Dispose() => _file.Dispose();
}
