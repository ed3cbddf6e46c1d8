using System.Text;
using SharpVirt.Boot.Acpi;

namespace SharpVirt.Boot.Tests.Acpi;

public sealed class AmlTests
{
    [Theory]
    [InlineData(0, new byte[] { 0x01 })]
    [InlineData(10, new byte[] { 0x0b })]
    [InlineData(62, new byte[] { 0x3f })]                   // 62 + 1 = 63, the largest one-byte length
    [InlineData(63, new byte[] { 0x41, 0x04 })]             // 63 + 2 = 0x41
    [InlineData(4093, new byte[] { 0x4f, 0xff })]           // 4093 + 2 = 0xfff, the largest two-byte length
    [InlineData(4094, new byte[] { 0x81, 0x00, 0x01 })]     // 4094 + 3 = 0x1001
    [InlineData(0xffffc, new byte[] { 0x8f, 0xff, 0xff })]  // + 3 = 0xfffff, the largest three-byte length
    [InlineData(0xffffd, new byte[] { 0xc1, 0x00, 0x00, 0x01 })] // + 4 = 0x100001
    public void PkgLength_counts_itself_and_uses_the_shortest_form(int body, byte[] expected)
    {
        var encoded = Aml.PkgLength(body);

        Assert.Equal(expected, encoded);
        Assert.Equal((body + encoded.Length, encoded.Length), TableBytes.PkgLength(encoded, 0));
    }

    [Fact]
    public void PkgLength_rejects_what_28_bits_cannot_hold()
    {
        Assert.Equal(4, Aml.PkgLength(Aml.MaxPackageLength - 4).Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => Aml.PkgLength(Aml.MaxPackageLength - 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => Aml.PkgLength(-1));
    }

    [Theory]
    [InlineData(0UL, new byte[] { 0x00 })]
    [InlineData(1UL, new byte[] { 0x01 })]
    [InlineData(5UL, new byte[] { 0x0a, 0x05 })]
    [InlineData(0xffUL, new byte[] { 0x0a, 0xff })]
    [InlineData(0x1234UL, new byte[] { 0x0b, 0x34, 0x12 })]
    [InlineData(0x12345678UL, new byte[] { 0x0c, 0x78, 0x56, 0x34, 0x12 })]
    [InlineData(0x1_0000_0000UL, new byte[] { 0x0e, 0, 0, 0, 0, 1, 0, 0, 0 })]
    public void Integers_take_their_shortest_form(ulong value, byte[] expected) =>
        Assert.Equal(expected, Aml.Integer(value));

    [Theory]
    [InlineData("PNP0501", new byte[] { 0x0c, 0x41, 0xd0, 0x05, 0x01 })]
    [InlineData("PNP0303", new byte[] { 0x0c, 0x41, 0xd0, 0x03, 0x03 })]
    [InlineData("PNP0B00", new byte[] { 0x0c, 0x41, 0xd0, 0x0b, 0x00 })]
    public void EisaId_compresses_to_a_dword(string id, byte[] expected) => Assert.Equal(expected, Aml.EisaId(id));

    [Theory]
    [InlineData("PNP050")]
    [InlineData("pnp0501")]
    [InlineData("PNP05G1")]
    public void EisaId_rejects_malformed_ids(string id) => Assert.Throws<ArgumentException>(() => Aml.EisaId(id));

    [Fact]
    public void Names_are_padded_prefixed_and_joined()
    {
        Assert.Equal("_SB_"u8.ToArray(), Aml.NameString("_SB"));
        Assert.Equal("\\_SB_"u8.ToArray(), Aml.NameString("\\_SB_"));
        Assert.Equal([(byte)'\\', 0x2e, .. "_SB_COM1"u8], Aml.NameString("\\_SB.COM1"));
        Assert.Equal([0x2f, 3, .. "A___B___C___"u8], Aml.NameString("A.B.C"));
        Assert.Equal([(byte)'^', (byte)'^', .. "X___"u8], Aml.NameString("^^X"));
        Assert.Equal([(byte)'\\', 0x00], Aml.NameString("\\"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("TOOLONG")]
    [InlineData("1ABC")]
    [InlineData("ab")]
    [InlineData("\\_SB_..X")]
    public void Bad_names_are_rejected(string name) => Assert.Throws<ArgumentException>(() => Aml.NameString(name));

    [Fact]
    public void Strings_are_null_terminated_ascii()
    {
        Assert.Equal([0x0d, .. "LNRO0005"u8, 0x00], Aml.String("LNRO0005"));
        Assert.Throws<ArgumentException>(() => Aml.String("caf\u00e9"));
    }

    [Fact]
    public void S5_package_encodes_as_iasl_does()
    {
        // Name (_S5, Package (0x04) { 0x05, Zero, Zero, Zero })
        byte[] expected = [0x08, .. "_S5_"u8, 0x12, 0x07, 0x04, 0x0a, 0x05, 0x00, 0x00, 0x00];

        Assert.Equal(expected, Aml.Name("_S5_", Aml.Package(Aml.Integer(5), Aml.Integer(0), Aml.Integer(0), Aml.Integer(0))));
    }

    [Fact]
    public void Resource_template_is_a_sized_buffer_closed_by_an_end_tag()
    {
        var template = Aml.ResourceTemplate(AmlResources.Io(0x3f8, 8), AmlResources.IrqNoFlags(4));

        byte[] expected =
        [
            0x11, 0x10, 0x0a, 0x0d,                         // Buffer, PkgLength 16, size 13
            0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08, // IO (Decode16, 0x3F8, 0x3F8, 1, 8)
            0x22, 0x10, 0x00,                               // IRQNoFlags () {4}
            0x79, 0x00,                                     // end tag
        ];
        Assert.Equal(expected, template);
    }

    [Fact]
    public void Memory32Fixed_and_extended_interrupt_descriptors()
    {
        Assert.Equal([0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0xd0, 0x00, 0x02, 0x00, 0x00],
            AmlResources.Memory32Fixed(0xd000_0000, 0x200));
        Assert.Equal([0x89, 0x06, 0x00, 0x03, 0x01, 0x05, 0x00, 0x00, 0x00],
            AmlResources.ExtendedInterrupt(5, edgeTriggered: true));
        Assert.Equal([0x89, 0x06, 0x00, 0x0d, 0x01, 0x20, 0x00, 0x00, 0x00],
            AmlResources.ExtendedInterrupt(32, edgeTriggered: false, activeLow: true, shared: true));
        Assert.Throws<ArgumentOutOfRangeException>(() => AmlResources.IrqNoFlags(16));
    }

    [Fact]
    public void Device_with_a_long_body_uses_a_two_byte_pkglength()
    {
        var body = Aml.Name("BIG_", Aml.Buffer(new byte[100]));
        var device = Aml.Device("DEV0", body);

        Assert.Equal(new byte[] { 0x5b, 0x82 }, device[..2]);
        var (length, size) = TableBytes.PkgLength(device, 2);
        Assert.Equal(2, size);
        Assert.Equal(device.Length - 2, length);
        Assert.Equal("DEV0"u8.ToArray(), device[(2 + size)..(6 + size)]);
    }

    [Fact]
    public void Virtio_mmio_device_describes_its_window_and_interrupt()
    {
        var device = AcpiDevices.VirtioMmio(10, 0xd000_0200, 0x200, 6);

        Assert.Equal(new byte[] { 0x5b, 0x82 }, device[..2]);
        var (length, size) = TableBytes.PkgLength(device, 2);
        Assert.Equal(device.Length - 2, length);
        Assert.Equal("VR0A", Encoding.ASCII.GetString(device, 2 + size, 4));
        Assert.True(TableBytes.IndexOf(device, [0x08, .. "_HID"u8, .. Aml.String("LNRO0005")]) > 0);
        Assert.True(TableBytes.IndexOf(device, [0x08, .. "_UID"u8, 0x0a, 0x0a]) > 0);
        Assert.True(TableBytes.IndexOf(device, AmlResources.Memory32Fixed(0xd000_0200, 0x200)) > 0);
        Assert.True(TableBytes.IndexOf(device, AmlResources.ExtendedInterrupt(6, edgeTriggered: true)) > 0);
        Assert.Equal(new byte[] { 0x79, 0x00 }, device[^2..]);
    }

    [Fact]
    public void Virtio_mmio_rejects_what_it_cannot_describe()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => AcpiDevices.VirtioMmio(256, 0xd000_0000, 0x200, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => AcpiDevices.VirtioMmio(-1, 0xd000_0000, 0x200, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => AcpiDevices.VirtioMmio(0, 0xffff_ff00, 0x200, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => AcpiDevices.VirtioMmio(0, 0xd000_0000, 0, 5));
    }

    [Fact]
    public void Method_encodes_its_name_flags_and_body()
    {
        var method = Aml.Method("_EVT", 1, serialized: true, Aml.Notify("\\_SB_.PWRB", 0x80));

        // MethodOp, PkgLength, "_EVT", flags (1 argument, serialized), NotifyOp \_SB_.PWRB, BytePrefix 0x80.
        byte[] expected = [0x14, 0x13, .. "_EVT"u8, 0x09, 0x86, 0x5c, 0x2e, .. "_SB_"u8, .. "PWRB"u8, 0x0a, 0x80];
        Assert.Equal(expected, method);
        Assert.Equal(0x00, Aml.Method("M000", 0, serialized: false)[^1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => Aml.Method("M000", 8, serialized: false));
        Assert.Throws<ArgumentOutOfRangeException>(() => Aml.Method("M000", -1, serialized: false));
    }

    [Fact]
    public void Power_button_is_a_button_device_and_an_event_device_on_its_interrupt()
    {
        var aml = AcpiDevices.PowerButton(3);

        Assert.True(TableBytes.IndexOf(aml, [.. "PWRB"u8, 0x08, .. "_HID"u8, .. Aml.EisaId("PNP0C0C")]) > 0);
        Assert.True(TableBytes.IndexOf(aml, [.. "GED_"u8, 0x08, .. "_HID"u8, .. Aml.String("ACPI0013")]) > 0);
        Assert.True(TableBytes.IndexOf(aml, AmlResources.ExtendedInterrupt(3, edgeTriggered: true)) > 0);
        Assert.True(TableBytes.IndexOf(aml, Aml.Method("_EVT", 1, serialized: true, Aml.Notify("\\_SB_.PWRB", 0x80))) > 0);
    }
}
