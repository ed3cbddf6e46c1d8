using SharpVirt.Devices.Legacy;

namespace SharpVirt.Devices.Tests.Legacy;

/// <summary>The keyboard behind the i8042, driven through the controller's ports as Linux's atkbd drives it.</summary>
public sealed class Ps2KeyboardTests
{
    private const ulong Data = 0, Command = 4;

    // Ctrl, Alt, Delete pressed, then released in reverse order, in scan code set 2.
    private static readonly byte[] CtrlAltDel = [0x14, 0x11, 0xe0, 0x71, 0xe0, 0xf0, 0x71, 0xf0, 0x11, 0xf0, 0x14];

    private readonly RecordingInterrupt _irq = new();
    private readonly I8042Controller _kbc;

    public Ps2KeyboardTests()
    {
        _kbc = new I8042Controller(_irq, () => { });
    }

    [Theory]
    [InlineData(new byte[] { 0xf2 }, new byte[] { 0xfa, 0xab, 0x83 })]         // identify: an MF2 keyboard
    [InlineData(new byte[] { 0xff }, new byte[] { 0xfa, 0xaa })]               // reset: ACK, self-test passed
    [InlineData(new byte[] { 0xed, 0x07 }, new byte[] { 0xfa, 0xfa })]         // LEDs and their parameter
    [InlineData(new byte[] { 0xf3, 0x20 }, new byte[] { 0xfa, 0xfa })]         // typematic rate
    [InlineData(new byte[] { 0xf0, 0x00 }, new byte[] { 0xfa, 0xfa, 0x02 })]   // which set: 2
    [InlineData(new byte[] { 0xf0, 0x02 }, new byte[] { 0xfa, 0xfa })]
    [InlineData(new byte[] { 0xf0, 0x03 }, new byte[] { 0xfa, 0xfe })]         // set 3 refused
    [InlineData(new byte[] { 0xee }, new byte[] { 0xee })]                     // echo
    [InlineData(new byte[] { 0xf5, 0xf4, 0xf6 }, new byte[] { 0xfa, 0xfa, 0xfa })]
    [InlineData(new byte[] { 0x42 }, new byte[] { 0xfe })]                     // not a command: resend
    public void Commands_are_answered_one_byte_and_one_interrupt_at_a_time(byte[] sent, byte[] expected)
    {
        var received = new List<byte>();
        foreach (var b in sent)
        {
            _kbc.Out(Data, b);
            received.AddRange(Drain());
        }

        Assert.Equal(expected, received);
        Assert.Equal(expected.Length, _irq.Pulses);
    }

    [Fact]
    public void Resend_repeats_the_last_byte_sent()
    {
        _kbc.Out(Data, 0xf2);
        Assert.Equal(new byte[] { 0xfa, 0xab, 0x83 }, Drain());

        _kbc.Out(Data, 0xfe);

        Assert.Equal(new byte[] { 0x83 }, Drain());
    }

    [Fact]
    public void Ctrl_alt_del_is_typed_in_set_2_and_released_in_reverse_order()
    {
        Assert.True(_kbc.TypeCtrlAltDel());

        Assert.Equal(CtrlAltDel, Drain());
        Assert.Equal(CtrlAltDel.Length, _irq.Pulses);
        Assert.Equal(0, _kbc.DroppedKeySequences);
    }

    [Fact]
    public void Without_the_interrupt_enabled_bytes_are_polled_and_no_edge_is_raised()
    {
        _kbc.Out(Command, 0x60);
        _kbc.Out(Data, 0x04); // system flag only: no keyboard interrupt

        _kbc.TypeCtrlAltDel();

        Assert.Equal(CtrlAltDel, Drain());
        Assert.Equal(0, _irq.Pulses);
    }

    [Fact]
    public void A_disabled_keyboard_port_holds_the_keys_until_it_is_enabled()
    {
        _kbc.Out(Command, 0xad);
        _kbc.TypeCtrlAltDel();
        Assert.Equal(0, _kbc.In(Command) & 0x01);
        Assert.Equal(0, _irq.Pulses);

        _kbc.Out(Command, 0xae);

        Assert.Equal(1, _irq.Pulses);
        Assert.Equal(CtrlAltDel, Drain());
    }

    [Fact]
    public void Keys_are_refused_while_scanning_is_disabled()
    {
        _kbc.Out(Data, 0xf5);
        Drain();

        Assert.False(_kbc.TypeCtrlAltDel());
        Assert.Empty(Drain());

        _kbc.Out(Data, 0xf4);
        Drain();
        Assert.True(_kbc.TypeCtrlAltDel());
        Assert.Equal(CtrlAltDel, Drain());
        Assert.Equal(1, _kbc.DroppedKeySequences);
    }

    [Fact]
    public void A_sequence_that_does_not_fit_the_buffer_is_dropped_whole()
    {
        // The guest reads nothing: one sequence fills most of the 16-byte buffer, the next does not fit.
        Assert.True(_kbc.TypeCtrlAltDel());
        Assert.False(_kbc.TypeCtrlAltDel());

        Assert.Equal(1, _kbc.DroppedKeySequences);
        Assert.Equal(CtrlAltDel, Drain());
    }

    [Fact]
    public void A_snapshot_keeps_the_keys_not_yet_read()
    {
        _kbc.TypeCtrlAltDel();
        var first = new[] { _kbc.In(Data), _kbc.In(Data), _kbc.In(Data) };

        var restored = new I8042Controller(new RecordingInterrupt(), () => { });
        restored.RestoreState(_kbc.SaveState());

        Assert.Equal(CtrlAltDel, first.Concat(Drain(restored)).ToArray());
    }

    [Fact]
    public void A_snapshot_without_keyboard_state_restores_an_idle_scanning_keyboard()
    {
        var old = _kbc.SaveState() with { Keyboard = null };
        var restored = new I8042Controller(new RecordingInterrupt(), () => { });

        restored.RestoreState(old);

        Assert.Empty(Drain(restored));
        Assert.True(restored.TypeCtrlAltDel());
    }

    [Fact]
    public void A_hostile_snapshot_cannot_overfill_the_buffer_or_invent_a_pending_command()
    {
        var hostile = _kbc.SaveState() with
        {
            Keyboard = new Ps2KeyboardState(Enumerable.Repeat((byte)0x1c, 1000).ToArray(), PendingCommand: 0x42, LastSent: 0, Scanning: true),
        };
        var restored = new I8042Controller(new RecordingInterrupt(), () => { });

        restored.RestoreState(hostile);

        Assert.Equal(Ps2Keyboard.BufferSize, Drain(restored).Length);
        restored.Out(Data, 0xf2); // a command, not the parameter of 0x42
        Assert.Equal(new byte[] { 0xfa, 0xab, 0x83 }, Drain(restored));
    }

    private byte[] Drain() => Drain(_kbc);

    private static byte[] Drain(I8042Controller kbc)
    {
        var bytes = new List<byte>();
        while ((kbc.In(Command) & 0x01) != 0 && bytes.Count < 100)
        {
            bytes.Add(kbc.In(Data));
        }

        return [.. bytes];
    }
}
