using SharpVirt.Devices.Bus;

namespace SharpVirt.Devices.Legacy;

/// <summary>
/// The PC keyboard controller (i8042) at ports 0x60-0x64, placed at base 0x60 with length <see cref="Size"/>:
/// offset 0 is the data port 0x60, offset 1 the system control port B (0x61), offset 4 the status/command port 0x64.
/// A <see cref="Ps2Keyboard"/> is attached to the first port, so that the VMM can type Ctrl-Alt-Del; there is no
/// mouse. The "pulse reset line" command (0xFE, what <c>reboot=k</c> uses) reaches the VMM as a reset request.
/// </summary>
/// <remarks>
/// Controller commands understood: 0x20 read command byte, 0x60 write command byte (parameter on port 0x60),
/// 0xA7/0xA8 disable/enable the aux port, 0xA9 aux interface test (reports no aux port), 0xAA self-test (answers 0x55),
/// 0xAB keyboard interface test (answers 0x00), 0xAD/0xAE disable/enable the keyboard, 0xD0/0xD1 read/write the output port
/// (clearing its bit 0 resets the machine), 0xF0-0xFF pulse output lines (an even value pulses the reset line).
/// Other commands are dropped. Other bytes written to port 0x60 go to the keyboard; its answers and keys move into the
/// output buffer one at a time, while the keyboard port is enabled, each with an edge on IRQ 1 when the command byte
/// enables it. The keyboard speaks scan code set 2 and the controller does not translate (the command byte's
/// translate bit is kept, not honoured; Linux leaves it as firmware set it, and this firmware leaves it clear).
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
    private const byte StatusNotInhibited = 0x10; // the keyboard lock switch is open

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

    private const byte CommandByteKeyboardInterrupt = 0x01;
    private const byte CommandByteSystemFlag = 0x04;
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
    private readonly IInterruptTrigger _keyboardInterrupt;
    private readonly Ps2Keyboard _keyboard = new();
    private byte _commandByte = 0x05; // keyboard interrupt enabled, system flag (POST passed): as a BIOS leaves it
    private byte _outputPort = 0x03; // reset line inactive, A20 enabled
    private byte _output;
    private bool _outputFull;
    private byte _pendingCommand; // a command waiting for its parameter on port 0x60, or 0
    private byte _portB;
    private bool _refresh;
    private long _resets;

    /// <summary>Creates the controller.</summary>
    /// <param name="keyboardInterrupt">IRQ 1, pulsed (outside the device lock) when a keyboard byte is ready.</param>
    /// <param name="onReset">Invoked (outside the device lock) when the guest pulses the CPU reset line.</param>
    public I8042Controller(IInterruptTrigger keyboardInterrupt, Action onReset)
    {
        ArgumentNullException.ThrowIfNull(keyboardInterrupt);
        ArgumentNullException.ThrowIfNull(onReset);
        _keyboardInterrupt = keyboardInterrupt;
        _onReset = onReset;
    }

    /// <summary>Reset requests the guest made through the controller.</summary>
    public long ResetCount => Interlocked.Read(ref _resets);

    /// <summary>Key sequences the keyboard could not take (its scanning disabled by the guest, or its buffer full).</summary>
    public long DroppedKeySequences
    {
        get
        {
            lock (_lock)
            {
                return _keyboard.DroppedSequences;
            }
        }
    }

    /// <summary>Types Ctrl-Alt-Del on the keyboard (pressed together, released in reverse order).</summary>
    /// <returns>False when the keyboard could not take it: the guest disabled scanning, or has not read earlier keys.</returns>
    public bool TypeCtrlAltDel()
    {
        bool typed, raise;
        lock (_lock)
        {
            typed = _keyboard.TypeCtrlAltDel();
            raise = DeliverKeyboardByte();
        }

        if (raise)
        {
            _keyboardInterrupt.Pulse();
        }

        return typed;
    }

    /// <summary>The controller's registers now (for a snapshot).</summary>
    public I8042State SaveState()
    {
        lock (_lock)
        {
            return new I8042State(_commandByte, _outputPort, _output, _outputFull, _pendingCommand, _portB, _keyboard.SaveState());
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
            _keyboard.RestoreState(state.Keyboard ?? new Ps2KeyboardState([], 0, 0, Scanning: true));
            // While the keyboard port is enabled, the output buffer is never empty with a keyboard byte waiting, so a
            // saved state is not either; a hand-made one is repaired (no edge: the restored irqchip holds any pending one).
            DeliverKeyboardByte();
        }
    }

    /// <inheritdoc />
    public void Read(ulong offset, Span<byte> data)
    {
        bool raise;
        lock (_lock)
        {
            for (var i = 0; i < data.Length; i++)
            {
                data[i] = PortAccess.Register(offset, i, Size) switch
                {
                    DataPort => ReadData(),
                    PortB => ReadPortB(),
                    CommandPort => (byte)((_outputFull ? StatusOutputFull : 0) | (_commandByte & CommandByteSystemFlag) | StatusNotInhibited),
                    _ => 0xff,
                };
            }

            raise = DeliverKeyboardByte();
        }

        if (raise)
        {
            _keyboardInterrupt.Pulse();
        }
    }

    /// <inheritdoc />
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        var reset = false;
        bool raise;
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

            raise = DeliverKeyboardByte();
        }

        if (raise)
        {
            _keyboardInterrupt.Pulse();
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

    // Moves the keyboard's next byte into an empty output buffer; true when that must raise IRQ 1.
    private bool DeliverKeyboardByte()
    {
        if (_outputFull || !_keyboard.HasOutput || (_commandByte & CommandByteKeyboardDisabled) != 0)
        {
            return false;
        }

        Respond(_keyboard.TakeOutput());
        return (_commandByte & CommandByteKeyboardInterrupt) != 0;
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
                _keyboard.Receive(value);
                return false;
        }
    }
}
