using SharpVirt.Memory;
using static SharpVirt.Boot.Tests.Acpi.TableBytes;

namespace SharpVirt.Boot.Tests.MpTable;

// Imported inside the namespace so that the simple name MpTable finds the type before the namespace of that name.
using SharpVirt.Boot.MpTable;

/// <summary>Layouts from the Intel MultiProcessor Specification 1.4, chapter 4.</summary>
public sealed class MpTableTests
{
    private const int ConfigOffset = 16;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(8)]
    [InlineData(MpTable.MaxVcpus)]
    public void Floating_pointer_points_at_the_config_table_and_sums_to_zero(int vcpus)
    {
        var tables = MpTable.Build(vcpus);

        Assert.Equal("_MP_", Ascii(tables, 0, 4));
        Assert.Equal((uint)X64Layout.MpTableAddress + ConfigOffset, U32(tables, 4));
        Assert.Equal(1, tables[8]);  // length in paragraphs
        Assert.Equal(4, tables[9]);  // specification 1.4
        Assert.Equal(0, tables[11]); // a configuration table follows, no default configuration
        Assert.Equal(0, tables[12]); // virtual wire mode
        Assert.Equal(0, Sum(tables.AsSpan(0, 16)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(8)]
    [InlineData(MpTable.MaxVcpus)]
    public void Config_table_header_counts_its_entries_and_sums_to_zero(int vcpus)
    {
        var tables = MpTable.Build(vcpus);
        var config = tables[ConfigOffset..];

        Assert.Equal("PCMP", Ascii(config, 0, 4));
        Assert.Equal(config.Length, U16(config, 4));
        Assert.Equal(4, config[6]);
        Assert.Equal(0, Sum(config));
        Assert.Equal("SHARPV  ", Ascii(config, 8, 8));
        Assert.Equal(0xfee0_0000u, U32(config, 36));
        Assert.Equal(0, U16(config, 40)); // no extended table
        Assert.Equal(vcpus + 1 + 1 + 15 + 2, U16(config, 34));
        Assert.Equal(U16(config, 34), Entries(config).Count);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(MpTable.MaxVcpus)]
    public void One_enabled_processor_per_vcpu_and_only_cpu_0_is_the_bootstrap(int vcpus)
    {
        var processors = Entries(MpTable.Build(vcpus)[ConfigOffset..]).Where(e => e[0] == 0).ToArray();

        Assert.Equal(vcpus, processors.Length);
        for (var i = 0; i < vcpus; i++)
        {
            Assert.Equal(20, processors[i].Length);
            Assert.Equal(i, processors[i][1]);                    // local APIC ID
            Assert.Equal(i == 0 ? 0x03 : 0x01, processors[i][3]); // EN, and BP on CPU 0
        }
    }

    [Fact]
    public void Bus_ioapic_and_interrupt_entries()
    {
        var entries = Entries(MpTable.Build(4)[ConfigOffset..]);
        Assert.Equal(entries.Select(e => e[0]).Order(), entries.Select(e => e[0])); // sorted by entry type

        var bus = Assert.Single(entries, e => e[0] == 1);
        Assert.Equal("ISA   ", Ascii(bus, 2, 6));

        var ioApic = Assert.Single(entries, e => e[0] == 2);
        Assert.Equal(4, ioApic[1]); // ID after the 4 processors' APIC IDs
        Assert.Equal(1, ioApic[3] & 1);
        Assert.Equal(0xfec0_0000u, U32(ioApic, 4));

        var pins = entries.Where(e => e[0] == 3).ToDictionary(e => (int)e[5], e => (int)e[7]);
        Assert.All(entries.Where(e => e[0] == 3), e =>
        {
            Assert.Equal(0, e[1]);        // INT
            Assert.Equal(bus[1], e[4]);   // from the ISA bus
            Assert.Equal(ioApic[1], e[6]); // to the IOAPIC
        });
        Assert.Equal(2, pins[0]); // IRQ0 on pin 2, like the MADT override
        Assert.DoesNotContain(2, pins.Keys); // the cascade
        foreach (var irq in Enumerable.Range(1, 15).Where(i => i != 2))
        {
            Assert.Equal(irq, pins[irq]);
        }

        var local = entries.Where(e => e[0] == 4).ToArray();
        Assert.Equal(2, local.Length);
        Assert.Equal((3, 0xff, 0), (local[0][1], local[0][6], local[0][7])); // ExtINT on LINT0 of every CPU
        Assert.Equal((1, 0xff, 1), (local[1][1], local[1][6], local[1][7])); // NMI on LINT1 of every CPU
    }

    [Fact]
    public void Largest_table_ends_below_640_KiB_and_one_more_vcpu_is_refused()
    {
        Assert.True(X64Layout.MpTableAddress + (ulong)MpTable.Build(MpTable.MaxVcpus).Length <= MpTable.AreaEnd);

        var error = Assert.Throws<BootException>(() => MpTable.Build(MpTable.MaxVcpus + 1));
        Assert.Equal(BootErrorKind.DoesNotFit, error.Kind);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(255)]
    public void Impossible_vcpu_counts_are_refused(int vcpus) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => MpTable.Build(vcpus));

    [Fact]
    public void WriteTo_puts_the_tables_in_the_ebda()
    {
        using var memory = GuestMemory.Create([(0UL, 0x10_0000UL)]);

        MpTable.WriteTo(memory, 2);

        var expected = MpTable.Build(2);
        var copy = new byte[expected.Length];
        memory.Read(X64Layout.MpTableAddress, copy);
        Assert.Equal(expected, copy);
    }

    /// <summary>Walks the base entries after the 44-byte header: processors take 20 bytes, every other type 8.</summary>
    private static List<byte[]> Entries(byte[] config)
    {
        var entries = new List<byte[]>();
        var at = 44;
        while (at < config.Length)
        {
            var length = config[at] == 0 ? 20 : 8;
            entries.Add(config[at..(at + length)]);
            at += length;
        }

        Assert.Equal(config.Length, at);
        return entries;
    }
}
