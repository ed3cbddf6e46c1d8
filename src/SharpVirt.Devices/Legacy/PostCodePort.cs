using SharpVirt.Devices.Bus;

namespace SharpVirt.Devices.Legacy;

/// <summary>
/// The POST/debug code port (0x80, length <see cref="Size"/>): remembers the last byte written and hands it to an
/// optional callback (boot-time markers). Linux also writes here as an I/O delay, so the path stays cheap:
/// no lock, no logging, no allocation. Reads return the last code.
/// </summary>
public sealed class PostCodePort : IBusDevice
{
    /// <summary>Length of the device's port range.</summary>
    public const int Size = 1;

    private readonly Action<byte>? _onCode;
    private int _lastCode;

    /// <summary>Creates the port.</summary>
    /// <param name="onCode">Invoked on the writing vCPU thread with every code written; keep it cheap.</param>
    public PostCodePort(Action<byte>? onCode = null)
    {
        _onCode = onCode;
    }

    /// <summary>The last code the guest wrote (0 before any).</summary>
    public byte LastCode => (byte)Volatile.Read(ref _lastCode);

    /// <inheritdoc />
    public void Read(ulong offset, Span<byte> data)
    {
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = PortAccess.Register(offset, i, Size) < 0 ? (byte)0xff : LastCode;
        }
    }

    /// <inheritdoc />
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        for (var i = 0; i < data.Length; i++)
        {
            if (PortAccess.Register(offset, i, Size) >= 0)
            {
                Volatile.Write(ref _lastCode, data[i]);
                _onCode?.Invoke(data[i]);
            }
        }
    }
}
