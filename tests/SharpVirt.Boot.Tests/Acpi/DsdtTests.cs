using SharpVirt.Boot.Acpi;
using static SharpVirt.Boot.Tests.Acpi.TableBytes;

namespace SharpVirt.Boot.Tests.Acpi;

public sealed class DsdtTests
{
    private static readonly byte[] S5 = [0x08, .. "_S5_"u8, 0x12, 0x07, 0x04, 0x0a, 0x05, 0x00, 0x00, 0x00];

    [Fact]
    public void Declares_s5_at_the_root_then_the_system_bus_scope()
    {
        var dsdt = AcpiTables.Build(new AcpiConfig(1)).Table("DSDT").Bytes;

        Assert.Equal(2, dsdt[8]);
        Assert.Equal(S5, dsdt[36..(36 + S5.Length)]);
        var scope = 36 + S5.Length;
        Assert.Equal(0x10, dsdt[scope]);
        var (length, size) = PkgLength(dsdt, scope + 1);
        Assert.Equal(dsdt.Length, scope + 1 + length); // the scope runs to the end of the table
        Assert.Equal("\\_SB_"u8.ToArray(), dsdt[(scope + 1 + size)..(scope + 6 + size)]);
    }

    [Fact]
    public void Describes_com1_the_i8042_and_the_rtc()
    {
        var dsdt = AcpiTables.Build(new AcpiConfig(1)).Table("DSDT").Bytes;

        Assert.True(IndexOf(dsdt, [.. "COM1"u8, 0x08, .. "_HID"u8, 0x0c, 0x41, 0xd0, 0x05, 0x01]) > 0);
        Assert.True(IndexOf(dsdt, [0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08, 0x22, 0x10, 0x00, 0x79, 0x00]) > 0);
        Assert.True(IndexOf(dsdt, [0x08, .. "_UID"u8, 0x00]) > 0);
        Assert.True(IndexOf(dsdt, [.. "KBD_"u8, 0x08, .. "_HID"u8, 0x0c, 0x41, 0xd0, 0x03, 0x03]) > 0);
        Assert.True(IndexOf(dsdt, [0x47, 0x01, 0x60, 0x00, 0x60, 0x00, 0x01, 0x01, 0x47, 0x01, 0x64, 0x00, 0x64, 0x00, 0x01, 0x01, 0x22, 0x02, 0x00]) > 0);
        Assert.True(IndexOf(dsdt, [.. "RTC_"u8, 0x08, .. "_HID"u8, 0x0c, 0x41, 0xd0, 0x0b, 0x00]) > 0);
        Assert.True(IndexOf(dsdt, [0x47, 0x01, 0x70, 0x00, 0x70, 0x00, 0x01, 0x02, 0x22, 0x00, 0x01]) > 0);
    }

    [Fact]
    public void Extra_devices_go_inside_the_system_bus_scope_in_order()
    {
        var first = AcpiDevices.VirtioMmio(0, 0xd000_0000, 0x200, 5);
        var second = AcpiDevices.VirtioMmio(1, 0xd000_0200, 0x200, 6);
        var dsdt = AcpiTables.Build(new AcpiConfig(1) { ExtraDsdtDevices = [first, second] }).Table("DSDT").Bytes;

        Assert.Equal(0, Sum(dsdt));
        Assert.Equal(dsdt.Length - second.Length, IndexOf(dsdt, second));
        Assert.Equal(dsdt.Length - second.Length - first.Length, IndexOf(dsdt, first));
        var scope = 36 + S5.Length;
        var (length, _) = PkgLength(dsdt, scope + 1);
        Assert.Equal(dsdt.Length, scope + 1 + length);
    }

    [Fact]
    public void Many_extra_devices_make_the_scope_use_a_longer_pkglength()
    {
        var devices = Enumerable.Range(0, 100).Select(i => AcpiDevices.VirtioMmio(i, 0xd000_0000 + (ulong)i * 0x200, 0x200, (uint)(5 + i % 19))).ToArray();
        var dsdt = AcpiTables.Build(new AcpiConfig(1) { ExtraDsdtDevices = devices }).Table("DSDT").Bytes;

        var scope = 36 + S5.Length;
        var (length, size) = PkgLength(dsdt, scope + 1);
        Assert.Equal(3, size);
        Assert.Equal(dsdt.Length, scope + 1 + length);
    }
}
