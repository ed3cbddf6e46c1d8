using SharpVirt.Devices.Legacy;

namespace SharpVirt.Devices.Tests.Legacy;

public sealed class I8042ControllerTests
{
    private const ulong Data = 0, PortB = 1, Command = 4;

    private readonly I8042Controller _kbc;
    private int _resets;

    public I8042ControllerTests()
    {
        _kbc = new I8042Controller(new RecordingInterrupt(), () => _resets++);
    }

    [Fact]
    public void Pulse_reset_command_invokes_the_callback()
    {
        _kbc.Out(Command, 0xfe);
        Assert.Equal(1, _resets);
        Assert.Equal(1, _kbc.ResetCount);
    }

    [Fact]
    public void Pulse_commands_reset_only_when_they_pulse_line_zero()
    {
        _kbc.Out(Command, 0xff);
        _kbc.Out(Command, 0xfd);
        Assert.Equal(0, _resets);
        _kbc.Out(Command, 0xf0);
        Assert.Equal(1, _resets);
    }

    [Fact]
    public void Self_test_answers_0x55_through_the_data_port()
    {
        Assert.Equal(0, _kbc.In(Command) & 0x01);
        _kbc.Out(Command, 0xaa);
        Assert.Equal(0x01, _kbc.In(Command) & 0x01);
        Assert.Equal(0x55, _kbc.In(Data));
        Assert.Equal(0, _kbc.In(Command) & 0x01);
        Assert.Equal(0, _kbc.In(Data));
    }

    [Fact]
    public void Command_byte_is_written_and_read_back()
    {
        _kbc.Out(Command, 0x60);
        _kbc.Out(Data, 0x47);
        _kbc.Out(Command, 0x20);
        Assert.Equal(0x47, _kbc.In(Data));

        // The parameter is consumed: a later data byte goes to the keyboard.
        _kbc.Out(Data, 0x00);
        _kbc.Out(Command, 0x20);
        Assert.Equal(0x47, _kbc.In(Data));
    }

    [Fact]
    public void Port_enable_and_disable_commands_show_in_the_command_byte()
    {
        _kbc.Out(Command, 0x60);
        _kbc.Out(Data, 0x00);
        _kbc.Out(Command, 0xad);
        _kbc.Out(Command, 0xa7);
        _kbc.Out(Command, 0x20);
        Assert.Equal(0x30, _kbc.In(Data));
        _kbc.Out(Command, 0xae);
        _kbc.Out(Command, 0xa8);
        _kbc.Out(Command, 0x20);
        Assert.Equal(0x00, _kbc.In(Data));
        Assert.Equal(0, _resets);
    }

    [Fact]
    public void Interface_tests_report_a_keyboard_port_and_no_aux_port()
    {
        _kbc.Out(Command, 0xab);
        Assert.Equal(0x00, _kbc.In(Data));
        _kbc.Out(Command, 0xa9);
        Assert.NotEqual(0x00, _kbc.In(Data));
    }

    [Fact]
    public void Output_port_write_resets_only_when_bit_zero_is_clear()
    {
        _kbc.Out(Command, 0xd1);
        _kbc.Out(Data, 0xdf); // A20 on, reset line high
        Assert.Equal(0, _resets);
        _kbc.Out(Command, 0xd0);
        Assert.Equal(0xdf, _kbc.In(Data));

        _kbc.Out(Command, 0xd1);
        _kbc.Out(Data, 0xde);
        Assert.Equal(1, _resets);
    }

    [Fact]
    public void Status_shows_the_system_flag_of_the_command_byte_and_no_keyboard_lock()
    {
        Assert.Equal(0x14, _kbc.In(Command));
        _kbc.Out(Command, 0x60);
        _kbc.Out(Data, 0x01);
        Assert.Equal(0x10, _kbc.In(Command));
    }

    [Fact]
    public void Port_b_toggles_refresh_and_reports_timer_2_output()
    {
        var first = _kbc.In(PortB);
        var second = _kbc.In(PortB);
        Assert.Equal(0x20, first & 0x20);
        Assert.Equal(0x20, second & 0x20);
        Assert.Equal(0x10, (first ^ second) & 0x10);

        _kbc.Out(PortB, 0xff);
        Assert.Equal(0x0f, _kbc.In(PortB) & 0x0f);
        _kbc.Out(PortB, 0x01);
        Assert.Equal(0x01, _kbc.In(PortB) & 0x0f);
    }

    [Fact]
    public void Hostile_offsets_and_lengths_do_not_throw()
    {
        foreach (var offset in new ulong[] { 5, 6, 0x64, long.MaxValue, ulong.MaxValue })
        {
            var data = new byte[8];
            _kbc.Read(offset, data);
            _kbc.Write(offset, [0xfe, 0xfe]);
        }

        _kbc.Out(2, 0xfe);
        _kbc.Out(3, 0xfe);
        Assert.Equal(0xff, _kbc.In(2));
        Assert.Equal(0xff, _kbc.In(3));
        Assert.Equal(0xff, _kbc.In(5));
        _kbc.Read(0, []);
        _kbc.Write(4, []);
        Assert.Equal(0, _resets);

        // A wide write reaching the command port still acts on it, once.
        _kbc.Write(3, [0x00, 0xfe]);
        Assert.Equal(1, _resets);
    }
}
