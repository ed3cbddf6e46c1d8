using SharpVirt.Devices.Bus;

namespace SharpVirt.Devices.Legacy;

/// <summary>
/// An 8250/16550A UART (the PC's COM1 at port 0x3f8, IRQ 4), modelled as a transmitter that drains at once
/// and a receive FIFO of <see cref="RxFifoCapacity"/> bytes that the host fills through <see cref="TryReceive"/>.
/// </summary>
/// <remarks>
/// Registers (offsets from the base): 0 RBR/THR (DLL when LCR.DLAB), 1 IER (DLM when LCR.DLAB), 2 IIR (read) / FCR (write),
/// 3 LCR, 4 MCR, 5 LSR, 6 MSR, 7 SCR. Interrupt sources by priority: line status (overrun), received data,
/// transmitter holding register empty, modem status. The line is level-triggered and, as on a PC, gated by MCR.OUT2;
/// the reset value of MCR has OUT2 set (like QEMU), so guests that never touch MCR still get interrupts.
/// The receive FIFO keeps its capacity even when FCR disables the FIFOs (a simplification: a 16450 holds one byte).
/// Wider accesses are split into byte accesses at consecutive offsets, as an ISA bridge does.
/// Guest (vCPU threads) and host (input thread) calls are serialised by one lock; the output stream and the
/// interrupt line are driven under that lock so bytes and level changes keep their order.
/// </remarks>
public sealed class Serial16550 : IBusDevice
{
    /// <summary>Length of the device's port range.</summary>
    public const int Size = 8;

    /// <summary>Bytes the receive FIFO holds; the host must not push more than <see cref="RxFifoFree"/>.</summary>
    public const int RxFifoCapacity = 64;

    private const byte IerRxData = 0x01;
    private const byte IerThrEmpty = 0x02;
    private const byte IerLineStatus = 0x04;
    private const byte IerModemStatus = 0x08;

    private const byte IirNoInterrupt = 0x01;
    private const byte IirThrEmpty = 0x02;
    private const byte IirRxData = 0x04;
    private const byte IirLineStatus = 0x06;
    private const byte IirModemStatus = 0x00;
    private const byte IirFifosEnabled = 0xc0;

    private const byte FcrEnable = 0x01;
    private const byte FcrClearRx = 0x02;

    private const byte LcrDlab = 0x80;

    private const byte McrDtr = 0x01;
    private const byte McrRts = 0x02;
    private const byte McrOut1 = 0x04;
    private const byte McrOut2 = 0x08;
    private const byte McrLoop = 0x10;
    private const byte McrWritable = 0x1f;

    private const byte LsrDataReady = 0x01;
    private const byte LsrOverrun = 0x02;
    private const byte LsrThrEmpty = 0x20;
    private const byte LsrTransmitterEmpty = 0x40;

    private const byte MsrDeltaCts = 0x01;
    private const byte MsrDeltaDsr = 0x02;
    private const byte MsrTrailingRi = 0x04;
    private const byte MsrDeltaDcd = 0x08;
    private const byte MsrCts = 0x10;
    private const byte MsrDsr = 0x20;
    private const byte MsrRi = 0x40;
    private const byte MsrDcd = 0x80;

    // Divisor 12 = 9600 baud from the 1.8432 MHz crystal; the divisor only matters to the guest.
    private const byte DefaultDivisorLow = 12;

    private readonly Lock _lock = new();
    private readonly Stream? _output;
    private readonly IInterruptTrigger _interrupt;
    private readonly Queue<byte> _rx = new(RxFifoCapacity);
    private byte _ier;
    private byte _lcr = 0x03; // 8 data bits, no parity, 1 stop bit
    private byte _mcr = McrOut2;
    private byte _lsrErrors;
    private byte _msrDelta;
    private byte _scratch;
    private byte _divisorLow = DefaultDivisorLow;
    private byte _divisorHigh;
    private bool _fifosEnabled;
    private bool _thrEmptyPending;
    private bool _lineAsserted;
    private long _bytesTransmitted;
    private long _bytesReceived;
    private long _rxOverruns;
    private long _outputErrors;

    /// <summary>Creates a UART.</summary>
    /// <param name="output">Receives every byte the guest transmits (flushed per byte); null discards them.</param>
    /// <param name="interrupt">The UART's interrupt line (IRQ 4 for COM1).</param>
    public Serial16550(Stream? output, IInterruptTrigger interrupt)
    {
        ArgumentNullException.ThrowIfNull(interrupt);
        _output = output;
        _interrupt = interrupt;
    }

    /// <summary>Bytes the guest transmitted to the output (loopback bytes excluded).</summary>
    public long BytesTransmitted
    {
        get { lock (_lock) { return _bytesTransmitted; } }
    }

    /// <summary>Bytes the host put into the receive FIFO.</summary>
    public long BytesReceived
    {
        get { lock (_lock) { return _bytesReceived; } }
    }

    /// <summary>Bytes refused because the receive FIFO was full (each one is an overrun the guest sees in LSR).</summary>
    public long RxOverruns
    {
        get { lock (_lock) { return _rxOverruns; } }
    }

    /// <summary>Transmitted bytes lost because the output stream failed.</summary>
    public long OutputErrors
    {
        get { lock (_lock) { return _outputErrors; } }
    }

    /// <summary>Free bytes in the receive FIFO: how many the host can push now without an overrun.</summary>
    public int RxFifoFree
    {
        get { lock (_lock) { return RxFifoCapacity - _rx.Count; } }
    }

    /// <summary>Whether the interrupt line is currently raised.</summary>
    public bool InterruptAsserted
    {
        get { lock (_lock) { return _lineAsserted; } }
    }

    /// <summary>
    /// Puts one host byte into the receive FIFO, with flow control: when the FIFO is full the byte is refused
    /// and the caller keeps it for later (no overrun, as with RTS/CTS), so typed-ahead input is never lost.
    /// </summary>
    /// <returns>False when the FIFO is full.</returns>
    public bool TryReceive(byte b)
    {
        lock (_lock)
        {
            if (_rx.Count >= RxFifoCapacity)
            {
                return false;
            }

            var accepted = Enqueue(b);
            if (accepted)
            {
                _bytesReceived++;
            }

            UpdateInterrupt();
            return accepted;
        }
    }

    /// <summary>Puts host bytes into the receive FIFO, in order, as far as it has room.</summary>
    /// <returns>How many bytes were accepted; the rest are dropped and counted as overruns.</returns>
    public int Receive(ReadOnlySpan<byte> bytes)
    {
        lock (_lock)
        {
            var accepted = Math.Min(bytes.Length, RxFifoCapacity - _rx.Count);
            foreach (var b in bytes[..accepted])
            {
                _rx.Enqueue(b);
            }

            _bytesReceived += accepted;
            if (accepted < bytes.Length)
            {
                _rxOverruns += bytes.Length - accepted;
                _lsrErrors |= LsrOverrun;
            }

            UpdateInterrupt();
            return accepted;
        }
    }

    /// <inheritdoc />
    public void Read(ulong offset, Span<byte> data)
    {
        lock (_lock)
        {
            for (var i = 0; i < data.Length; i++)
            {
                var register = PortAccess.Register(offset, i, Size);
                data[i] = register < 0 ? (byte)0xff : ReadRegister(register);
            }

            UpdateInterrupt();
        }
    }

    /// <inheritdoc />
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            for (var i = 0; i < data.Length; i++)
            {
                var register = PortAccess.Register(offset, i, Size);
                if (register >= 0)
                {
                    WriteRegister(register, data[i]);
                }
            }

            UpdateInterrupt();
        }
    }

    private bool Dlab => (_lcr & LcrDlab) != 0;

    private bool Loopback => (_mcr & McrLoop) != 0;

    private byte ReadRegister(int register) => register switch
    {
        0 => Dlab ? _divisorLow : ReadRbr(),
        1 => Dlab ? _divisorHigh : _ier,
        2 => ReadIir(),
        3 => _lcr,
        4 => _mcr,
        5 => ReadLsr(),
        6 => ReadMsr(),
        _ => _scratch,
    };

    private void WriteRegister(int register, byte value)
    {
        switch (register)
        {
            case 0 when Dlab:
                _divisorLow = value;
                break;
            case 0:
                Transmit(value);
                break;
            case 1 when Dlab:
                _divisorHigh = value;
                break;
            case 1:
                WriteIer(value);
                break;
            case 2:
                WriteFcr(value);
                break;
            case 3:
                _lcr = value;
                break;
            case 4:
                WriteMcr(value);
                break;
            case 7:
                _scratch = value;
                break;
            default:
                // LSR and MSR are read-only (their writes are a factory test mode).
                break;
        }
    }

    private byte ReadRbr() => _rx.Count > 0 ? _rx.Dequeue() : (byte)0;

    private byte ReadIir()
    {
        var id = PendingInterrupt();
        if (id == IirThrEmpty)
        {
            // Reading IIR while it reports THRE acknowledges that source.
            _thrEmptyPending = false;
        }

        return (byte)(id | (_fifosEnabled ? IirFifosEnabled : 0));
    }

    private byte ReadLsr()
    {
        var value = (byte)(LsrThrEmpty | LsrTransmitterEmpty | _lsrErrors | (_rx.Count > 0 ? LsrDataReady : 0));
        _lsrErrors = 0;
        return value;
    }

    private byte ReadMsr()
    {
        var value = (byte)(ModemLines() | _msrDelta);
        _msrDelta = 0;
        return value;
    }

    private void Transmit(byte value)
    {
        if (Loopback)
        {
            Enqueue(value);
        }
        else
        {
            _bytesTransmitted++;
            WriteOutput(value);
        }

        // The byte left the holding register at once: it is empty again.
        _thrEmptyPending = true;
    }

    private void WriteOutput(byte value)
    {
        if (_output is null)
        {
            return;
        }

        try
        {
            _output.WriteByte(value);
            _output.Flush();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or NotSupportedException)
        {
            // A broken console must not take the vCPU down; the loss is counted.
            _outputErrors++;
        }
    }

    private void WriteIer(byte value)
    {
        var enabled = (byte)(value & 0x0f);
        if ((enabled & IerThrEmpty) == 0)
        {
            _thrEmptyPending = false;
        }
        else if ((_ier & IerThrEmpty) == 0)
        {
            // Enabling ETBEI while the holding register is empty raises THRE (Linux's 8250 THRE test relies on it).
            _thrEmptyPending = true;
        }

        _ier = enabled;
    }

    private void WriteFcr(byte value)
    {
        var enable = (value & FcrEnable) != 0;
        if (enable != _fifosEnabled)
        {
            // Switching FIFO mode on or off empties the FIFOs.
            _fifosEnabled = enable;
            _rx.Clear();
        }
        else if (enable && (value & FcrClearRx) != 0)
        {
            _rx.Clear();
        }
    }

    private void WriteMcr(byte value)
    {
        var before = ModemLines();
        _mcr = (byte)(value & McrWritable);
        var after = ModemLines();
        var changed = before ^ after;
        if ((changed & MsrCts) != 0)
        {
            _msrDelta |= MsrDeltaCts;
        }

        if ((changed & MsrDsr) != 0)
        {
            _msrDelta |= MsrDeltaDsr;
        }

        if ((before & MsrRi) != 0 && (after & MsrRi) == 0)
        {
            _msrDelta |= MsrTrailingRi;
        }

        if ((changed & MsrDcd) != 0)
        {
            _msrDelta |= MsrDeltaDcd;
        }
    }

    // The modem inputs: a connected, ready peer normally; in loopback, the UART's own modem outputs.
    private byte ModemLines()
    {
        if (!Loopback)
        {
            return MsrDcd | MsrDsr | MsrCts;
        }

        var lines = 0;
        lines |= (_mcr & McrDtr) != 0 ? MsrDsr : 0;
        lines |= (_mcr & McrRts) != 0 ? MsrCts : 0;
        lines |= (_mcr & McrOut1) != 0 ? MsrRi : 0;
        lines |= (_mcr & McrOut2) != 0 ? MsrDcd : 0;
        return (byte)lines;
    }

    private bool Enqueue(byte value)
    {
        if (_rx.Count >= RxFifoCapacity)
        {
            _rxOverruns++;
            _lsrErrors |= LsrOverrun;
            return false;
        }

        _rx.Enqueue(value);
        return true;
    }

    private byte PendingInterrupt()
    {
        if ((_ier & IerLineStatus) != 0 && (_lsrErrors & LsrOverrun) != 0)
        {
            return IirLineStatus;
        }

        if ((_ier & IerRxData) != 0 && _rx.Count > 0)
        {
            return IirRxData;
        }

        if ((_ier & IerThrEmpty) != 0 && _thrEmptyPending)
        {
            return IirThrEmpty;
        }

        if ((_ier & IerModemStatus) != 0 && _msrDelta != 0)
        {
            return IirModemStatus;
        }

        return IirNoInterrupt;
    }

    /// <summary>The registers and receive FIFO now (for a snapshot; the guest is paused).</summary>
    public SerialState SaveState()
    {
        lock (_lock)
        {
            return new SerialState(_ier, _lcr, _mcr, _lsrErrors, _msrDelta, _scratch, _divisorLow, _divisorHigh,
                _fifosEnabled, _thrEmptyPending, [.. _rx]);
        }
    }

    /// <summary>Takes a snapshot's registers and FIFO, and sets the interrupt line to match them.</summary>
    public void RestoreState(SerialState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        lock (_lock)
        {
            (_ier, _lcr, _mcr, _lsrErrors, _msrDelta, _scratch, _divisorLow, _divisorHigh) =
                (state.Ier, state.Lcr, (byte)(state.Mcr & McrWritable), state.LsrErrors, state.MsrDelta, state.Scratch, state.DivisorLow, state.DivisorHigh);
            (_fifosEnabled, _thrEmptyPending) = (state.FifosEnabled, state.ThrEmptyPending);
            _rx.Clear();
            foreach (var b in state.RxFifo.Take(RxFifoCapacity))
            {
                _rx.Enqueue(b);
            }

            _lineAsserted = false;
            UpdateInterrupt();
        }
    }

    private void UpdateInterrupt()
    {
        var asserted = PendingInterrupt() != IirNoInterrupt && (_mcr & McrOut2) != 0;
        if (asserted != _lineAsserted)
        {
            _lineAsserted = asserted;
            _interrupt.SetLevel(asserted);
        }
    }
}
