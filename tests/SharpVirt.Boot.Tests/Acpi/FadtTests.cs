using SharpVirt.Boot.Acpi;
using static SharpVirt.Boot.Tests.Acpi.TableBytes;

namespace SharpVirt.Boot.Tests.Acpi;

/// <summary>Field offsets from the ACPI 6.5 FADT format table (5.9).</summary>
public sealed class FadtTests
{
    private readonly AcpiImage _image = AcpiTables.Build(new AcpiConfig(2));

    private byte[] Fadt => _image.Table("FACP").Bytes;

    [Fact]
    public void Is_revision_6_3_and_276_bytes()
    {
        Assert.Equal(276, Fadt.Length);
        Assert.Equal(6, Fadt[8]);
        Assert.Equal(3, Fadt[131]);
    }

    [Fact]
    public void Flags_say_hardware_reduced_with_a_reset_register_and_no_fixed_buttons()
    {
        var flags = U32(Fadt, 112);

        Assert.NotEqual(0u, flags & (1u << 20)); // HW_REDUCED_ACPI
        Assert.NotEqual(0u, flags & (1u << 10)); // RESET_REG_SUP
        Assert.NotEqual(0u, flags & (1u << 4));  // PWR_BUTTON: no fixed power button
        Assert.NotEqual(0u, flags & (1u << 5));  // SLP_BUTTON: no fixed sleep button
    }

    [Fact]
    public void Boot_arch_keeps_the_i8042_and_legacy_devices_and_drops_vga()
    {
        var bootArch = U16(Fadt, 109);

        Assert.Equal(0x0007, bootArch); // LEGACY_DEVICES | 8042 | VGA Not Present; RTC present, MSI allowed
    }

    [Fact]
    public void Both_dsdt_pointers_name_the_dsdt()
    {
        var dsdt = _image.Table("DSDT").Address;

        Assert.Equal(dsdt, U32(Fadt, 40));
        Assert.Equal(dsdt, U64(Fadt, 140));
        Assert.Equal(0u, U32(Fadt, 36));  // FIRMWARE_CTRL: no FACS
        Assert.Equal(0UL, U64(Fadt, 132)); // X_FIRMWARE_CTRL
    }

    [Fact]
    public void No_sci_and_no_fixed_hardware_blocks()
    {
        Assert.Equal(0, U16(Fadt, 46)); // SCI_INT
        Assert.Equal(0u, U32(Fadt, 56)); // PM1a_EVT_BLK
        Assert.Equal(0u, U32(Fadt, 64)); // PM1a_CNT_BLK
        Assert.Equal(0u, U32(Fadt, 76)); // PM_TMR_BLK
        Assert.True(Fadt.AsSpan(148, 244 - 148).IndexOfAnyExcept((byte)0) < 0); // X_PM1a_EVT_BLK .. X_GPE1_BLK
        Assert.Equal(0UL, U64(Fadt, 268)); // hypervisor vendor identity
    }

    [Theory]
    [InlineData(116, 0x3c2)] // RESET_REG
    [InlineData(244, 0x3c0)] // SLEEP_CONTROL_REG
    [InlineData(256, 0x3c1)] // SLEEP_STATUS_REG
    public void Registers_are_8_bit_io_ports(int offset, int port)
    {
        Assert.Equal(1, Fadt[offset]);     // address space: system I/O
        Assert.Equal(8, Fadt[offset + 1]); // bit width
        Assert.Equal(0, Fadt[offset + 2]); // bit offset
        Assert.Equal(1, Fadt[offset + 3]); // access size: byte
        Assert.Equal((ulong)port, U64(Fadt, offset + 4));
    }

    [Fact]
    public void Reset_value_is_1_and_century_is_cmos_register_0x32()
    {
        Assert.Equal(X64Layout.AcpiResetValue, Fadt[128]);
        Assert.Equal(0x32, Fadt[108]);
    }
}
