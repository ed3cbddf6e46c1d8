namespace SharpVirt.Devices.Legacy;

/// <summary>
/// The PS/2 keyboard on the i8042's first port: it answers the commands Linux's atkbd driver sends (identify, reset,
/// LEDs, typematic rate, scan code set, enable and disable scanning) and types the key sequences the VMM asks for, in
/// scan code set 2. Not thread-safe: <see cref="I8042Controller"/> calls it under its lock.
/// </summary>
/// <remarks>
/// Bytes for the host go into a FIFO of <see cref="BufferSize"/> bytes, as a real keyboard buffers them; a key
/// sequence that does not fit whole is dropped and counted, never half typed. Command answers (0xFA ACK and their
/// data) always fit: a command first empties the FIFO, as a real keyboard's reset and disable do.
/// </remarks>
public sealed class Ps2Keyboard
{
    /// <summary>Bytes the keyboard holds for the controller.</summary>
    public const int BufferSize = 16;

    private const byte Ack = 0xfa;
    private const byte Resend = 0xfe;
    private const byte SelfTestPassed = 0xaa;
    private const byte Echo = 0xee;

    private const byte CmdSetLeds = 0xed;
    private const byte CmdEcho = 0xee;
    private const byte CmdScanCodeSet = 0xf0;
    private const byte CmdIdentify = 0xf2;
    private const byte CmdTypematic = 0xf3;
    private const byte CmdEnable = 0xf4;
    private const byte CmdDisable = 0xf5;
    private const byte CmdDefaults = 0xf6;
    private const byte CmdResend = 0xfe;
    private const byte CmdReset = 0xff;

    private const byte ScanCodeSet2 = 2;
    private const byte Set2Break = 0xf0;
    private const byte Set2Extended = 0xe0;

    /// <summary>An MF2 keyboard's identity, as <c>0xF2</c> answers it (untranslated).</summary>
    private static readonly byte[] Mf2Id = [0xab, 0x83];

    // Set 2 make codes (a second byte after 0xE0 for the extended keys).
    private static readonly byte[] LeftCtrl = [0x14];
    private static readonly byte[] LeftAlt = [0x11];
    private static readonly byte[] Delete = [Set2Extended, 0x71];

    private readonly Queue<byte> _output = new(BufferSize);
    private byte _pendingCommand; // a command waiting for its parameter byte, or 0
    private byte _lastSent = SelfTestPassed;
    private bool _scanning = true;
    private long _droppedSequences;

    /// <summary>Key sequences dropped because the buffer was full or scanning was disabled.</summary>
    public long DroppedSequences => _droppedSequences;

    /// <summary>Whether a byte waits for the controller.</summary>
    public bool HasOutput => _output.Count > 0;

    /// <summary>Takes the next byte for the controller; call only when <see cref="HasOutput"/>.</summary>
    public byte TakeOutput()
    {
        _lastSent = _output.Dequeue();
        return _lastSent;
    }

    /// <summary>Ctrl, Alt and Delete pressed together and released in reverse order.</summary>
    /// <returns>False when the keyboard could not take the sequence (scanning disabled, buffer full).</returns>
    public bool TypeCtrlAltDel() => Type([LeftCtrl, LeftAlt, Delete]);

    /// <summary>A byte the host sent to the keyboard through the controller's data port.</summary>
    public void Receive(byte value)
    {
        var command = _pendingCommand;
        _pendingCommand = 0;
        if (command != 0)
        {
            Parameter(command, value);
            return;
        }

        if (value != CmdResend)
        {
            _output.Clear();
        }

        switch (value)
        {
            case CmdSetLeds or CmdTypematic or CmdScanCodeSet:
                _pendingCommand = value;
                Answer(Ack);
                break;
            case CmdEcho:
                Answer(Echo);
                break;
            case CmdIdentify:
                Answer(Ack);
                Answer(Mf2Id);
                break;
            case CmdEnable:
                _scanning = true;
                Answer(Ack);
                break;
            case CmdDisable:
                _scanning = false;
                Answer(Ack);
                break;
            case CmdDefaults:
                Answer(Ack);
                break;
            case CmdResend:
                Answer(_lastSent);
                break;
            case CmdReset:
                _scanning = true;
                Answer(Ack);
                Answer(SelfTestPassed);
                break;
            default:
                Answer(Resend);
                break;
        }
    }

    /// <summary>The keyboard's state now (for a snapshot).</summary>
    public Ps2KeyboardState SaveState() => new([.. _output], _pendingCommand, _lastSent, _scanning);

    /// <summary>Takes a snapshot's state; bytes beyond <see cref="BufferSize"/> are dropped.</summary>
    public void RestoreState(Ps2KeyboardState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        _output.Clear();
        foreach (var b in (state.Output ?? []).Take(BufferSize))
        {
            _output.Enqueue(b);
        }

        _pendingCommand = state.PendingCommand is CmdSetLeds or CmdTypematic or CmdScanCodeSet ? state.PendingCommand : (byte)0;
        _lastSent = state.LastSent;
        _scanning = state.Scanning;
    }

    private void Parameter(byte command, byte value)
    {
        if (command == CmdScanCodeSet && value == 0)
        {
            Answer(Ack);
            Answer(ScanCodeSet2);
        }
        else if (command == CmdScanCodeSet && value != ScanCodeSet2)
        {
            // Only set 2 is typed; refusing makes a driver that asked for set 1 or 3 fall back to it.
            Answer(Resend);
        }
        else
        {
            Answer(Ack);
        }
    }

    private void Answer(params ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            _output.Enqueue(b);
        }
    }

    private bool Type(ReadOnlySpan<byte[]> keys)
    {
        var length = 0;
        foreach (var key in keys)
        {
            length += key.Length + key.Length + 1; // make, then break: the same bytes with 0xF0 before the last
        }

        if (!_scanning || _output.Count + length > BufferSize)
        {
            _droppedSequences++;
            return false;
        }

        foreach (var key in keys)
        {
            Answer(key);
        }

        for (var i = keys.Length - 1; i >= 0; i--)
        {
            Answer(keys[i].AsSpan(0, keys[i].Length - 1));
            Answer(Set2Break, keys[i][^1]);
        }

        return true;
    }
}
