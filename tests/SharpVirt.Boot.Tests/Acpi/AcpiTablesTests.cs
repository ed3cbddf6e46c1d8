using SharpVirt.Boot.Acpi;
using SharpVirt.Memory;
using static SharpVirt.Boot.Tests.Acpi.TableBytes;

namespace SharpVirt.Boot.Tests.Acpi;

public sealed class AcpiTablesTests
{
    public static TheoryData<int> VcpuCounts => [1, 2, 64, 255];

    [Theory]
    [MemberData(nameof(VcpuCounts))]
    public void Every_table_sums_to_zero_and_matches_its_header_length(int vcpus)
    {
        var image = AcpiTables.Build(new AcpiConfig(vcpus));

        foreach (var blob in image.Blobs.Where(b => b.Signature != "RSD PTR "))
        {
            Assert.Equal(blob.Signature, Ascii(blob.Bytes, 0, 4));
            Assert.Equal((uint)blob.Bytes.Length, U32(blob.Bytes, 4));
            Assert.Equal(0, Sum(blob.Bytes));
        }
    }

    [Fact]
    public void Headers_carry_the_oem_and_creator_ids()
    {
        foreach (var blob in AcpiTables.Build(new AcpiConfig(4)).Blobs.Where(b => b.Signature != "RSD PTR "))
        {
            Assert.Equal("SHARPV", Ascii(blob.Bytes, 10, 6));
            Assert.Equal("SVIRT   ", Ascii(blob.Bytes, 16, 8));
            Assert.Equal(1u, U32(blob.Bytes, 24));
            Assert.Equal("SVMM", Ascii(blob.Bytes, 28, 4));
            Assert.Equal(1u, U32(blob.Bytes, 32));
        }
    }

    [Fact]
    public void Rsdp_is_revision_2_with_both_checksums_and_the_xsdt_address()
    {
        var image = AcpiTables.Build(new AcpiConfig(2));
        var rsdp = image.Table("RSD PTR ");

        Assert.Equal(X64Layout.RsdpAddress, image.RsdpAddress);
        Assert.Equal(X64Layout.RsdpAddress, rsdp.Address);
        Assert.Equal(36, rsdp.Bytes.Length);
        Assert.Equal("RSD PTR ", Ascii(rsdp.Bytes, 0, 8));
        Assert.Equal(0, Sum(rsdp.Bytes.AsSpan(0, 20)));
        Assert.Equal(0, Sum(rsdp.Bytes));
        Assert.Equal("SHARPV", Ascii(rsdp.Bytes, 9, 6));
        Assert.Equal(2, rsdp.Bytes[15]);
        Assert.Equal(0u, U32(rsdp.Bytes, 16));
        Assert.Equal(36u, U32(rsdp.Bytes, 20));
        Assert.Equal(image.Table("XSDT").Address, U64(rsdp.Bytes, 24));
        Assert.True(rsdp.End <= X64Layout.AcpiTablesAddress);
    }

    [Fact]
    public void Xsdt_points_at_the_fadt_and_the_madt()
    {
        var image = AcpiTables.Build(new AcpiConfig(2));
        var xsdt = image.Table("XSDT").Bytes;

        Assert.Equal(36 + 2 * 8, xsdt.Length);
        var targets = Enumerable.Range(0, 2)
            .Select(i => U64(xsdt, 36 + 8 * i))
            .Select(address => image.Blobs.Single(b => b.Address == address))
            .Select(b => Ascii(b.Bytes, 0, 4))
            .ToArray();
        Assert.Equal(["FACP", "APIC"], targets);
    }

    [Fact]
    public void Image_for_255_vcpus_stays_in_the_bios_area_without_overlaps()
    {
        var image = AcpiTables.Build(new AcpiConfig(255));

        var ordered = image.Blobs.OrderBy(b => b.Address).ToArray();
        Assert.Equal(X64Layout.RsdpAddress, ordered[0].Address);
        Assert.All(ordered.Skip(1), b => Assert.True(b.Address >= X64Layout.AcpiTablesAddress));
        Assert.True(ordered[^1].End <= X64Layout.AcpiTablesEnd);
        for (var i = 1; i < ordered.Length; i++)
        {
            Assert.True(ordered[i - 1].End <= ordered[i].Address);
            Assert.Equal(0UL, ordered[i].Address % 16);
        }
    }

    [Fact]
    public void Extra_devices_that_do_not_fit_are_refused()
    {
        var huge = AcpiDevices.VirtioMmio(0, 0xd000_0000, 0x200, 5);
        var config = new AcpiConfig(1) { ExtraDsdtDevices = Enumerable.Repeat(huge, 0x20000 / huge.Length).ToArray() };

        var error = Assert.Throws<BootException>(() => AcpiTables.Build(config));
        Assert.Equal(BootErrorKind.DoesNotFit, error.Kind);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(256)]
    public void Vcpu_count_outside_1_to_255_is_refused(int vcpus) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => AcpiTables.Build(new AcpiConfig(vcpus)));

    [Fact]
    public void Null_extra_device_is_refused() =>
        Assert.Throws<ArgumentException>(() => AcpiTables.Build(new AcpiConfig(1) { ExtraDsdtDevices = [null!] }));

    [Fact]
    public void WriteTo_copies_every_structure_to_its_address()
    {
        var image = AcpiTables.Build(new AcpiConfig(8) { ExtraDsdtDevices = [AcpiDevices.VirtioMmio(0, 0xd000_0000, 0x200, 5)] });
        using var memory = GuestMemory.Create([(0UL, 0x10_0000UL)]);

        AcpiTables.WriteTo(memory, image);

        foreach (var blob in image.Blobs)
        {
            var copy = new byte[blob.Bytes.Length];
            memory.Read(blob.Address, copy);
            Assert.Equal(blob.Bytes, copy);
        }

        Assert.Equal("RSD PTR "u8.ToArray(), memory.GetSpan(X64Layout.RsdpAddress, 8).ToArray());
    }

    [Fact]
    public void Missing_table_lookup_names_the_signature()
    {
        var error = Assert.Throws<KeyNotFoundException>(() => AcpiTables.Build(new AcpiConfig(1)).Table("HPET"));
        Assert.Contains("HPET", error.Message);
    }
}
