using System.Text;
using SharpVirt.Devices.Legacy;

namespace SharpVirt.Devices.Tests.Legacy;

public sealed class Serial16550Tests
{
    private const ulong Rbr = 0, Ier = 1, Iir = 2, Lcr = 3, Mcr = 4, Lsr = 5, Msr = 6, Scr = 7;

    private readonly MemoryStream _output = new();
    private readonly RecordingInterrupt _irq = new();
    private readonly Serial16550 _uart;

    public Serial16550Tests()
    {
        _uart = new Serial16550(_output, _irq);
    }

    private byte In(ulong offset) => _uart.In(offset);

    private void Out(ulong offset, byte value) => _uart.Out(offset, value);

    [Fact]
    public void Transmitted_bytes_reach_the_output_stream()
    {
        foreach (var b in "hi\n"u8.ToArray())
        {
            Out(Rbr, b);
        }

        Assert.Equal("hi\n", Encoding.ASCII.GetString(_output.ToArray()));
        Assert.Equal(3, _uart.BytesTransmitted);
        Assert.Equal(0x60, In(Lsr) & 0x60); // THRE and TEMT: the transmitter drains at once
    }

    [Fact]
    public void A_null_output_discards_bytes_but_counts_them()
    {
        var uart = new Serial16550(null, _irq);
        uart.Write(0, [0x41]);
        Assert.Equal(1, uart.BytesTransmitted);
    }

    [Fact]
    public void A_failing_output_stream_is_counted_not_thrown()
    {
        var uart = new Serial16550(new FailingStream(), _irq);
        uart.Write(0, [0x41]);
        Assert.Equal(1, uart.OutputErrors);
    }

    [Fact]
    public void Divisor_latch_is_separate_from_thr_and_ier()
    {
        Out(Ier, 0x05);
        Out(Lcr, 0x83);
        Out(Rbr, 0x01); // DLL
        Out(Ier, 0x02); // DLM
        Assert.Equal(0x01, In(Rbr));
        Assert.Equal(0x02, In(Ier));

        Out(Lcr, 0x03);
        Assert.Equal(0x05, In(Ier));
        Assert.Empty(_output.ToArray());
        Assert.Equal(0, _uart.BytesTransmitted);
        Assert.Equal(0x03, In(Lcr));

        Out(Lcr, 0x83);
        Assert.Equal(0x01, In(Rbr));
        Assert.Equal(0x02, In(Ier));
    }

    [Fact]
    public void Received_bytes_come_out_in_order_with_data_ready()
    {
        Assert.Equal(0, In(Lsr) & 0x01);
        Assert.Equal(3, _uart.Receive("abc"u8));
        Assert.Equal(3, _uart.BytesReceived);
        Assert.Equal(Serial16550.RxFifoCapacity - 3, _uart.RxFifoFree);

        Assert.Equal(0x01, In(Lsr) & 0x01);
        Assert.Equal((byte)'a', In(Rbr));
        Assert.Equal((byte)'b', In(Rbr));
        Assert.Equal(0x01, In(Lsr) & 0x01);
        Assert.Equal((byte)'c', In(Rbr));
        Assert.Equal(0, In(Lsr) & 0x01);
        Assert.Equal(0, In(Rbr));
    }

    [Fact]
    public void Rx_interrupt_is_raised_while_data_waits_and_lowered_when_drained()
    {
        Out(Ier, 0x01);
        Assert.Empty(_irq.Levels);
        Assert.Equal(0x01, In(Iir));

        Assert.True(_uart.TryReceive(0x31));
        Assert.True(_uart.TryReceive(0x32));
        Assert.True(_irq.Asserted);
        Assert.True(_uart.InterruptAsserted);
        Assert.Equal(0x04, In(Iir));
        Assert.Equal(0x04, In(Iir)); // reading IIR does not acknowledge received data

        In(Rbr);
        Assert.True(_irq.Asserted);
        In(Rbr);
        Assert.False(_irq.Asserted);
        Assert.Equal(0x01, In(Iir));
        Assert.Equal(new[] { true, false }, _irq.Levels);
    }

    [Fact]
    public void Thr_empty_interrupt_follows_etbei_and_is_acknowledged_by_iir_read()
    {
        Out(Ier, 0x02);
        Assert.True(_irq.Asserted);
        Assert.Equal(0x02, In(Iir));
        Assert.False(_irq.Asserted);
        Assert.Equal(0x01, In(Iir));

        // Linux's THRE test: disable then re-enable ETBEI and expect THRI again.
        Out(Ier, 0x00);
        Out(Ier, 0x02);
        Assert.Equal(0x02, In(Iir));

        // Writing THR empties it again at once: another THRE interrupt.
        Out(Rbr, 0x41);
        Assert.True(_irq.Asserted);
        Assert.Equal(0x02, In(Iir));
        Assert.Equal(new[] { true, false, true, false, true, false }, _irq.Levels);
    }

    [Fact]
    public void Rewriting_etbei_while_set_does_not_rearm_thre()
    {
        Out(Ier, 0x02);
        Assert.Equal(0x02, In(Iir));
        Out(Ier, 0x03);
        Assert.Equal(0x01, In(Iir));
        Assert.False(_irq.Asserted);
    }

    [Fact]
    public void Rx_data_outranks_thr_empty()
    {
        Out(Ier, 0x03);
        _uart.TryReceive(0x41);
        Assert.Equal(0x04, In(Iir));
        In(Rbr);
        Assert.Equal(0x02, In(Iir));
        Assert.Equal(0x01, In(Iir));
    }

    [Fact]
    public void Out2_gates_the_interrupt_line()
    {
        Out(Mcr, 0x00);
        Out(Ier, 0x01);
        _uart.TryReceive(0x41);
        Assert.Equal(0x04, In(Iir)); // pending, but not delivered
        Assert.False(_irq.Asserted);
        Assert.Empty(_irq.Levels);

        Out(Mcr, 0x08);
        Assert.True(_irq.Asserted);
        Out(Mcr, 0x0b);
        Assert.True(_irq.Asserted);
        Out(Mcr, 0x03);
        Assert.False(_irq.Asserted);
        Assert.Equal(new[] { true, false }, _irq.Levels);
    }

    [Fact]
    public void Loopback_routes_transmit_to_receive_and_modem_outputs_to_msr()
    {
        Assert.Equal(0xb0, In(Msr)); // DCD | DSR | CTS: a connected peer
        Out(Mcr, 0x10 | 0x0a); // LOOP | OUT2 | RTS, the Linux probe
        Assert.Equal(0x90, In(Msr) & 0xf0);
        Out(Mcr, 0x10 | 0x05); // LOOP | OUT1 | DTR
        Assert.Equal(0x60, In(Msr) & 0xf0);

        Out(Rbr, 0x5a);
        Assert.Empty(_output.ToArray());
        Assert.Equal(0, _uart.BytesTransmitted);
        Assert.Equal(0x01, In(Lsr) & 0x01);
        Assert.Equal(0x5a, In(Rbr));

        Out(Mcr, 0x08);
        Assert.Equal(0xb0, In(Msr) & 0xf0);
        Out(Rbr, 0x41);
        Assert.Equal(new byte[] { 0x41 }, _output.ToArray());
    }

    [Fact]
    public void Modem_status_changes_set_delta_bits_and_interrupt()
    {
        Out(Ier, 0x08);
        Out(Mcr, 0x10 | 0x08); // loopback: DCD stays, CTS and DSR drop
        Assert.True(_irq.Asserted);
        Assert.Equal(0x00, In(Iir));
        Assert.Equal(0x80 | 0x03, In(Msr));
        Assert.False(_irq.Asserted);
        Assert.Equal(0x80, In(Msr));
    }

    [Fact]
    public void Full_fifo_refuses_bytes_counts_overruns_and_reports_them()
    {
        Out(Ier, 0x04);
        var input = Enumerable.Range(0, 70).Select(i => (byte)i).ToArray();
        Assert.Equal(Serial16550.RxFifoCapacity, _uart.Receive(input));
        Assert.Equal(0, _uart.RxFifoFree);
        Assert.Equal(6, _uart.RxOverruns);
        Assert.False(_uart.TryReceive(0xff)); // flow control: refused, not an overrun
        Assert.Equal(6, _uart.RxOverruns);
        Assert.Equal(Serial16550.RxFifoCapacity, _uart.BytesReceived);

        Assert.True(_irq.Asserted);
        Assert.Equal(0x06, In(Iir));
        Assert.Equal(0x03, In(Lsr) & 0x03); // DR | OE
        Assert.Equal(0x01, In(Lsr) & 0x03); // OE clears on read
        Assert.False(_irq.Asserted);

        for (var i = 0; i < Serial16550.RxFifoCapacity; i++)
        {
            Assert.Equal((byte)i, In(Rbr));
        }

        Assert.Equal(Serial16550.RxFifoCapacity, _uart.RxFifoFree);
    }

    [Fact]
    public void Fcr_enables_fifos_in_iir_and_clears_the_receive_fifo()
    {
        Assert.Equal(0x01, In(Iir));
        Out(Iir, 0x01);
        Assert.Equal(0xc1, In(Iir)); // Linux's autoconfig: IIR >> 6 == 3 means 16550A

        Out(Ier, 0x01);
        _uart.Receive("xyz"u8);
        Assert.True(_irq.Asserted);
        Assert.Equal(0xc4, In(Iir));

        Out(Iir, 0x03); // enable | clear RX
        Assert.Equal(0, In(Lsr) & 0x01);
        Assert.Equal(Serial16550.RxFifoCapacity, _uart.RxFifoFree);
        Assert.False(_irq.Asserted);

        _uart.Receive("q"u8);
        Out(Iir, 0x00); // leaving FIFO mode empties the FIFO too
        Assert.Equal(0x01, In(Iir));
        Assert.Equal(Serial16550.RxFifoCapacity, _uart.RxFifoFree);
    }

    [Fact]
    public void Ier_keeps_only_its_four_defined_bits()
    {
        Out(Ier, 0xff);
        Assert.Equal(0x0f, In(Ier));
        Out(Ier, 0x40);
        Assert.Equal(0x00, In(Ier)); // no XScale UUE bit
    }

    [Fact]
    public void Scratch_lcr_and_mcr_read_back()
    {
        Out(Scr, 0xa5);
        Out(Lcr, 0x1b);
        Out(Mcr, 0xff);
        Assert.Equal(0xa5, In(Scr));
        Assert.Equal(0x1b, In(Lcr));
        Assert.Equal(0x1f, In(Mcr));
        Assert.Equal(0x08, new Serial16550(null, new RecordingInterrupt()).In(Mcr)); // OUT2 set at reset
    }

    [Fact]
    public void Lsr_and_msr_ignore_writes()
    {
        Out(Lsr, 0xff);
        Out(Msr, 0x00);
        Assert.Equal(0x60, In(Lsr));
        Assert.Equal(0xb0, In(Msr));
    }

    [Fact]
    public void Hostile_offsets_and_lengths_do_not_throw()
    {
        foreach (var offset in new ulong[] { 8, 9, 100, 0x3f8, long.MaxValue, ulong.MaxValue - 1, ulong.MaxValue })
        {
            var data = new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 };
            _uart.Read(offset, data);
            Assert.All(data, b => Assert.Equal(0xff, b));
            _uart.Write(offset, [0x41, 0x42]);
        }

        _uart.Read(0, []);
        _uart.Write(0, []);
        Assert.Empty(_output.ToArray());

        // A wide access is split into byte accesses at consecutive registers, clipped at the end.
        Out(Scr, 0x77);
        var wide = new byte[8];
        _uart.Read(0, wide);
        Assert.Equal(0x77, wide[7]);
        Assert.Equal(0x60, wide[5] & 0x60);
        var tail = new byte[4];
        _uart.Read(6, tail);
        Assert.Equal(new byte[] { 0xb0, 0x77, 0xff, 0xff }, tail);
        _uart.Write(7, [0x11, 0x22, 0x33]);
        Assert.Equal(0x11, In(Scr));
        Assert.Empty(_output.ToArray());
    }

    [Fact]
    public async Task Host_and_guest_threads_can_race_without_losing_order()
    {
        const int Total = 5000;
        var received = new List<byte>(Total);
        var producer = Task.Run(() =>
        {
            for (var i = 0; i < Total;)
            {
                if (_uart.TryReceive((byte)i))
                {
                    i++;
                }
                else
                {
                    Thread.Yield();
                }
            }
        });

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (received.Count < Total && DateTime.UtcNow < deadline)
        {
            if ((In(Lsr) & 0x01) != 0)
            {
                received.Add(In(Rbr));
            }
        }

        await producer.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(Total, received.Count);
        Assert.Equal(Enumerable.Range(0, Total).Select(i => (byte)i), received);
        Assert.Equal(Total, _uart.BytesReceived);
    }

    private sealed class FailingStream : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => 0;
        public override long Position { get => 0; set { } }
        public override void Flush() => throw new IOException("broken pipe");
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new IOException("broken pipe");
    }
}
