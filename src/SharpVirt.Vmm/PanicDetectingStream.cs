using System.Text;

namespace SharpVirt.Vmm;

/// <summary>
/// Passes the guest's console output through and watches it for Linux's panic banner, so a panicked guest ends
/// the VMM with a non-zero exit code even when the kernel would then hang or reboot.
/// </summary>
public sealed class PanicDetectingStream(Stream inner, VmExitSignal exit) : Stream
{
    private static readonly byte[] Banner = Encoding.ASCII.GetBytes("Kernel panic - not syncing");
    private readonly StringBuilder _panicLine = new();
    private int _matched;
    private bool _capturing;

    /// <inheritdoc />
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        inner.Write(buffer);
        foreach (var b in buffer)
        {
            Scan(b);
        }
    }

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <inheritdoc />
    public override void Flush() => inner.Flush();

    private void Scan(byte b)
    {
        if (_capturing)
        {
            if (b == '\n' || _panicLine.Length > 200)
            {
                _capturing = false;
                inner.Flush();
                exit.Set(new VmOutcome(VmOutcomeKind.Panic, $"the guest kernel panicked: {_panicLine.ToString().TrimEnd('\r')}"));
            }
            else
            {
                _panicLine.Append((char)b);
            }

            return;
        }

        _matched = b == Banner[_matched] ? _matched + 1 : (b == Banner[0] ? 1 : 0);
        if (_matched == Banner.Length)
        {
            _capturing = true;
            _matched = 0;
            _panicLine.Clear().Append("Kernel panic - not syncing");
        }
    }

    /// <inheritdoc />
    public override bool CanRead => false;
    /// <inheritdoc />
    public override bool CanSeek => false;
    /// <inheritdoc />
    public override bool CanWrite => true;
    /// <inheritdoc />
    public override long Length => throw new NotSupportedException();
    /// <inheritdoc />
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();
}
