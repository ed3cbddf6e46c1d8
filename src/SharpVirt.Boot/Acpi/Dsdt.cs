namespace SharpVirt.Boot.Acpi;

/// <summary>
/// The Differentiated System Description Table: a header and AML. It declares <c>\_S5_</c> (soft-off, SLP_TYP 5,
/// which Linux writes with SLP_EN to the FADT's sleep control register) and, in <c>\_SB_</c>, the legacy devices
/// (COM1, the i8042, the RTC, the power button) followed by the caller's extra devices.
/// </summary>
internal static class Dsdt
{
    /// <summary>Revision 2: AML integers are 64 bits wide.</summary>
    private const byte Revision = 2;

    private const ushort Com1Port = 0x3f8;
    private const int Com1Irq = 4;

    /// <summary>The DSDT with <paramref name="extraDevices"/> (encoded AML terms) appended inside <c>\_SB_</c>.</summary>
    public static byte[] Build(IReadOnlyList<byte[]> extraDevices)
    {
        var devices = new List<byte[]>(4 + extraDevices.Count)
        {
            AcpiDevices.Serial(0, Com1Port, Com1Irq),
            AcpiDevices.I8042Keyboard(),
            AcpiDevices.CmosRtc(),
            AcpiDevices.PowerButton(X64Layout.PowerButtonGsi),
        };
        devices.AddRange(extraDevices);

        var aml = Aml.Concat(
            Aml.Name("_S5_", Aml.Package(Aml.Integer(5), Aml.Integer(0), Aml.Integer(0), Aml.Integer(0))),
            Aml.Scope("\\_SB_", [.. devices]));

        var dsdt = new byte[checked(SdtHeader.Size + aml.Length)];
        SdtHeader.Write(dsdt, "DSDT", Revision);
        aml.CopyTo(dsdt, SdtHeader.Size);
        SdtHeader.Seal(dsdt);
        return dsdt;
    }
}
