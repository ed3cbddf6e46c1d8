using SharpVirt.Devices.Bus;

namespace SharpVirt.Devices.Legacy;

/// <summary>
/// The PC keyboard controller (i8042) at ports 0x60-0x64, placed at base 0x60 with length <see cref="Size"/>:
/// offset 0 is the data port 0x60, offset 1 the system control port B (0x61), offset 4 the status/command port 0x64.
/// No keyboard or mouse is attached: the model exists so that Linux finds a controller, and so that the
/// "pulse reset line" command (0xFE, what <c>reboot=k</c> uses) reaches the VMM as a reset request.
/// </summary>
/// <remarks>
/// Controller commands understood: 0x20 read command byte, 0x60 write command byte (parameter on port 0x60),
/// 0xA7/0xA8 disable/enable the aux port, 0xA9 aux interface test (reports no aux port), 0xAA self-test (answers 0x55),
/// 0xAB keyboard interface test (answers 0x00), 0xAD/0xAE disable/enable the keyboard, 0xD0/0xD1 read/write the output port
/// (clearing its bit 0 resets the machine), 0xF0-0xFF pulse output lines (an even value pulses the reset line).
/// Other commands, and bytes written to the (absent) keyboard, are dropped. The controller raises no interrupt.
/// Port 0x61 keeps its four writable bits; bit 4 (refresh) flips on every read and bit 5 (timer 2 output) reads as 1.
/// Ports 0x62 and 0x63 read as 0xff and ignore writes. Wider accesses are split into byte accesses.
/// </remarks>
public sealed class I8042Controller : IBusDevice
{
    /// <summary>Length of the device's port range (ports 0x60-0x64).</summary>
    public const int Size = 5;

    private const int DataPort = 0;
    private const int PortB = 1;
    private const int CommandPort = 4;

    private const byte StatusOutputFull = 0x01;

    private const byte CmdReadCommandByte = 0x20;
    private const byte CmdWriteCommandByte = 0x60;
    private const byte CmdDisableAux = 0xa7;
    private const byte CmdEnableAux = 0xa8;
    private const byte CmdTestAux = 0xa9;
    private const byte CmdSelfTest = 0xaa;
    private const byte CmdTestKeyboard = 0xab;
    private const byte CmdDisableKeyboard = 0xad;
    private const byte CmdEnableKeyboard = 0xae;
    private const byte CmdReadOutputPort = 0xd0;
    private const byte CmdWriteOutputPort = 0xd1;
    private const byte CmdPulseResetLine = 0xfe;

    private const byte CommandByteKeyboardDisabled = 0x10;
    private const byte CommandByteAuxDisabled = 0x20;
    private const byte SelfTestPassed = 0x55;
    private const byte InterfaceOk = 0x00;
    private const byte InterfaceClockStuckLow = 0x01;
    private const byte OutputPortResetHigh = 0x01; // active low: clearing it resets the CPU
    private const byte PortBWritable = 0x0f;
    private const byte PortBRefresh = 0x10;
    private const byte PortBTimer2Output = 0x20;

    private readonly Lock _lock = new();
    private readonly Action _onReset;
    private byte _commandByte = 0x05; // keyboard interrupt enabled, system flag (POST passed): as a BIOS leaves it
    private byte _outputPort = 0x03; // reset line inactive, A20 enabled
    private byte _output;
    private bool _outputFull;
    private byte _pendingCommand; // a command waiting for its parameter on port 0x60, or 0
    private byte _portB;
    private bool _refresh;
    private long _resets;

    /// <summary>Creates the controller.</summary>
    /// <param name="onReset">Invoked (outside the device lock) when the guest pulses the CPU reset line.</param>
    public I8042Controller(Action onReset)
    {
        ArgumentNullException.ThrowIfNull(onReset);
        _onReset = onReset;
    }

    /// <summary>Reset requests the guest made through the controller.</summary>
    public long ResetCount => Interlocked.Read(ref _resets);


    /// <summary>The controller's registers now (for a snapshot).</summary>
    public I8042State SaveState()
    {
        lock (_lock)
        {
            return new I8042State(_commandByte, _outputPort, _output, _outputFull, _pendingCommand, _portB);
        }
    }

    /// <summary>Takes a snapshot's registers.</summary>
    public void RestoreState(I8042State state)
    {
        ArgumentNullException.ThrowIfNull(state);
        lock (_lock)
        {
            (_commandByte, _outputPort, _output, _outputFull, _pendingCommand, _portB) =
                (state.CommandByte, state.OutputPort, state.Output, state.OutputFull, state.PendingCommand, (byte)(state.PortB & PortBWritable));
        }
    }

    /// <inheritdoc />
    public void Read(ulong offset, Span<byte> data)
    {
        lock (_lock)
        {
            for (var i = 0; i < data.Length; i++)
            {
                data[i] = PortAccess.Register(offset, i, Size) switch
                {
                    DataPort => ReadData(),
                    PortB => ReadPortB(),
                    CommandPort => _outputFull ? StatusOutputFull : (byte)0,
                    _ => 0xff,
                };
            }
        }
    }

    /// <inheritdoc />
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        var reset = false;
        lock (_lock)
        {
            for (var i = 0; i < data.Length; i++)
            {
                switch (PortAccess.Register(offset, i, Size))
                {
                    case DataPort:
                        reset |= WriteData(data[i]);
                        break;
                    case PortB:
                        _portB = (byte)(data[i] & PortBWritable);
                        break;
                    case CommandPort:
                        reset |= WriteCommand(data[i]);
                        break;
                    default:
                        break;
                }
            }
        }

        if (reset)
        {
            Interlocked.Increment(ref _resets);
            _onReset();
        }
    }

    private byte ReadData()
    {
        if (!_outputFull)
        {
            return 0;
        }

        _outputFull = false;
        return _output;
    }

    private byte ReadPortB()
    {
        var value = (byte)(_portB | PortBTimer2Output | (_refresh ? PortBRefresh : 0));
        _refresh = !_refresh;
        return value;
    }

    private void Respond(byte value)
    {
        _output = value;
        _outputFull = true;
    }

    // Returns true when the command resets the machine.
    private bool WriteCommand(byte command)
    {
        _pendingCommand = 0;
        switch (command)
        {
            case CmdReadCommandByte:
                Respond(_commandByte);
                break;
            case CmdWriteCommandByte:
            case CmdWriteOutputPort:
                _pendingCommand = command;
                break;
            case CmdDisableAux:
                _commandByte |= CommandByteAuxDisabled;
                break;
            case CmdEnableAux:
                _commandByte &= unchecked((byte)~CommandByteAuxDisabled);
                break;
            case CmdTestAux:
                Respond(InterfaceClockStuckLow);
                break;
            case CmdSelfTest:
                Respond(SelfTestPassed);
                break;
            case CmdTestKeyboard:
                Respond(InterfaceOk);
                break;
            case CmdDisableKeyboard:
                _commandByte |= CommandByteKeyboardDisabled;
                break;
            case CmdEnableKeyboard:
                _commandByte &= unchecked((byte)~CommandByteKeyboardDisabled);
                break;
            case CmdReadOutputPort:
                Respond(_outputPort);
                break;
            case CmdPulseResetLine:
                return true;
            case >= 0xf0:
                // Pulse output lines: bit n clear pulses line n; line 0 is the reset line.
                return (command & OutputPortResetHigh) == 0;
            default:
                break;
        }

        return false;
    }

    // Returns true when the byte resets the machine.
    private bool WriteData(byte value)
    {
        var command = _pendingCommand;
        _pendingCommand = 0;
        switch (command)
        {
            case CmdWriteCommandByte:
                _commandByte = value;
                return false;
            case CmdWriteOutputPort:
                _outputPort = (byte)(value | OutputPortResetHigh);
                return (value & OutputPortResetHigh) == 0;
            default:
                // A byte for the keyboard: none is attached.
                return false;
        }
    }
}
