namespace SharpVirt.Devices.Legacy;

/// <summary>A 16550's registers and receive FIFO, as a snapshot keeps them.</summary>
public sealed record SerialState(
    byte Ier, byte Lcr, byte Mcr, byte LsrErrors, byte MsrDelta, byte Scratch, byte DivisorLow, byte DivisorHigh,
    bool FifosEnabled, bool ThrEmptyPending, byte[] RxFifo);

/// <summary>The CMOS RAM (the clock registers are read from the host's clock, not kept) and the index register.</summary>
public sealed record CmosState(byte[] Ram, int Index);

/// <summary>
/// The i8042's command byte, output port, pending command and output buffer, and its keyboard (absent in snapshots
/// from before the keyboard existed, which restore an idle keyboard).
/// </summary>
public sealed record I8042State(
    byte CommandByte, byte OutputPort, byte Output, bool OutputFull, byte PendingCommand, byte PortB, Ps2KeyboardState? Keyboard = null);

/// <summary>The PS/2 keyboard's FIFO, a command waiting for its parameter, its last byte sent, and whether it scans.</summary>
public sealed record Ps2KeyboardState(byte[] Output, byte PendingCommand, byte LastSent, bool Scanning);
