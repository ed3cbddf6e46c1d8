using System.Text.RegularExpressions;
using SharpVirt.Boot.Acpi;

namespace SharpVirt.Boot.Tests.Acpi;

/// <summary>
/// Checks the tables with ACPICA's own parser: iasl disassembles each one, recompiles the disassembly, and the
/// recompiled body must equal ours byte for byte (iasl writes its own creator ID, so the header is not compared).
/// </summary>
public sealed class IaslTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sharpvirt-iasl-").FullName;

    private readonly AcpiImage _image = AcpiTables.Build(new AcpiConfig(4)
    {
        ExtraDsdtDevices = [AcpiDevices.VirtioMmio(0, 0xd000_0000, 0x200, 5), AcpiDevices.VirtioMmio(1, 0xd000_0200, 0x200, 6)],
    });

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [IaslTheory]
    [InlineData("DSDT")]
    [InlineData("FACP")]
    [InlineData("APIC")]
    [InlineData("XSDT")]
    public async Task Table_disassembles_and_recompiles_to_the_same_bytes(string signature)
    {
        var table = _image.Table(signature).Bytes;
        await File.WriteAllBytesAsync(Path.Combine(_directory, signature + ".dat"), table);

        await Iasl.RunAsync(_directory, "-d", signature + ".dat");
        // -oa: no AML optimizations, so the compiler keeps every encoding choice of the disassembled source.
        await Iasl.RunAsync(_directory, "-oa", "-p", "again", signature + ".dsl");

        var again = await File.ReadAllBytesAsync(Path.Combine(_directory, "again.aml"));
        Assert.Equal(table[36..], again[36..]);
    }

    [IaslFact]
    public async Task Dsdt_disassembly_shows_s5_and_the_devices()
    {
        await File.WriteAllBytesAsync(Path.Combine(_directory, "dsdt.dat"), _image.Table("DSDT").Bytes);

        await Iasl.RunAsync(_directory, "-d", "dsdt.dat");

        var asl = await File.ReadAllTextAsync(Path.Combine(_directory, "dsdt.dsl"));
        Assert.Matches(@"Name \(_S5, Package \(0x04\)\s*(//[^\n]*)?\s*\{\s*0x05,\s*Zero,\s*Zero,\s*Zero\s*\}", asl);
        Assert.Contains("Scope (\\_SB)", asl);
        Assert.Contains("EisaId (\"PNP0501\")", asl);
        Assert.Contains("EisaId (\"PNP0303\")", asl);
        Assert.Contains("EisaId (\"PNP0B00\")", asl);
        Assert.Equal(2, Regex.Count(asl, "\"LNRO0005\""));
        Assert.Contains("Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive", asl);
        Assert.Contains("0xD0000200,", asl);
        Assert.Contains("EisaId (\"PNP0C0C\")", asl);
        Assert.Contains("\"ACPI0013\"", asl);
        Assert.Matches(@"Method \(_EVT, 1, Serialized\)[^\n]*\s*\{\s*Notify \(\\_SB\.PWRB, 0x80\)", asl);
    }

    [IaslFact]
    public async Task Fadt_disassembly_decodes_hardware_reduced_and_the_sleep_registers()
    {
        await File.WriteAllBytesAsync(Path.Combine(_directory, "facp.dat"), _image.Table("FACP").Bytes);

        await Iasl.RunAsync(_directory, "-d", "facp.dat");

        var text = await File.ReadAllTextAsync(Path.Combine(_directory, "facp.dsl"));
        Assert.Matches(@"Hardware Reduced \(V5\)\s*:\s*1", text);
        Assert.Matches(@"Reset Register Supported \(V2\)\s*:\s*1", text);
        Assert.Matches(@"8042 Present on ports 60/64 \(V2\)\s*:\s*1", text);
        Assert.Matches(@"Sleep Control Register[\s\S]*?Address\s*:\s*00000000000003C0", text);
        Assert.Matches(@"Sleep Status Register[\s\S]*?Address\s*:\s*00000000000003C1", text);
    }
}
