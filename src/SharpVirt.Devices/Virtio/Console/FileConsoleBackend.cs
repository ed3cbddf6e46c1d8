using SharpVirt.Devices.EventLoop;

namespace SharpVirt.Devices.Virtio.Console;

/// <summary>
/// A console whose output is appended to a file (and flushed per write, so <c>tail -f</c> follows it); no input. Output
/// the file system refuses (a full disk) is dropped rather than holding the guest back.
/// </summary>
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
        try
        {
            _file.Write(data);
            _file.Flush();
        }
        catch (IOException)
        {
            // A full disk must not freeze the guest's hvc0: what cannot be written is dropped.
        }

        return data.Length;
    }

    /// <inheritdoc />
    public void Dispose() => _file.Dispose();
}
