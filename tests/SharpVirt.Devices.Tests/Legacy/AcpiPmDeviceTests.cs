using SharpVirt.Devices.Legacy;

namespace SharpVirt.Devices.Tests.Legacy;

public sealed class AcpiPmDeviceTests
{
    private const ulong SleepControl = 0, SleepStatus = 1, Reset = 2;
    private const byte SlpEn = 0x20;

    private readonly AcpiPmDevice _pm;
    private int _powerOffs;
    private int _resets;

    public AcpiPmDeviceTests()
    {
        _pm = new AcpiPmDevice(() => _powerOffs++, () => _resets++);
    }

    [Fact]
    public void S5_with_slp_en_powers_off()
    {
        _pm.Out(SleepControl, (byte)((AcpiPmDevice.SleepTypeSoftOff << 2) | SlpEn));
        Assert.Equal(1, _powerOffs);
        Assert.Equal(1, _pm.PowerOffRequests);
        Assert.Equal(0, _resets);
    }

    [Fact]
    public void Other_sleep_types_and_writes_without_slp_en_do_not_power_off()
    {
        for (var type = 0; type < 8; type++)
        {
            if (type != 5)
            {
                _pm.Out(SleepControl, (byte)((type << 2) | SlpEn));
            }
        }

        _pm.Out(SleepControl, 5 << 2); // SLP_TYP 5 but no SLP_EN
        Assert.Equal(0, _powerOffs);
        Assert.Equal(7, _pm.UnsupportedSleepRequests);

        _pm.Out(SleepControl, 0xff); // every bit set: SLP_TYP 7
        Assert.Equal(0, _powerOffs);
    }

    [Fact]
    public void Reset_value_resets_and_other_values_do_not()
    {
        _pm.Out(Reset, 0x00);
        _pm.Out(Reset, 0x06);
        _pm.Out(Reset, 0xff);
        Assert.Equal(0, _resets);
        _pm.Out(Reset, AcpiPmDevice.ResetValue);
        Assert.Equal(1, _resets);
        Assert.Equal(1, _pm.ResetRequests);
        Assert.Equal(0, _powerOffs);
    }

    [Fact]
    public void Registers_read_zero_and_status_writes_are_accepted()
    {
        _pm.Out(SleepStatus, 0x80);
        Assert.Equal(0, _pm.In(SleepControl));
        Assert.Equal(0, _pm.In(SleepStatus));
        Assert.Equal(0, _pm.In(Reset));
        Assert.Equal(0, _powerOffs + _resets);
    }

    [Fact]
    public void Hostile_offsets_and_lengths_do_not_throw()
    {
        foreach (var offset in new ulong[] { 3, 0x3c0, ulong.MaxValue })
        {
            var data = new byte[8];
            _pm.Read(offset, data);
            Assert.All(data, b => Assert.Equal(0xff, b));
            _pm.Write(offset, [0x34, 0x01]);
        }

        _pm.Read(0, []);
        _pm.Write(0, []);
        Assert.Equal(0, _powerOffs + _resets);

        // A wide write is split: the byte at offset 2 is the reset register.
        _pm.Write(1, [0x00, AcpiPmDevice.ResetValue, 0x34]);
        Assert.Equal(1, _resets);
    }
}
