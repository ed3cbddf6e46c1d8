using SharpVirt.Boot.Acpi;
using static SharpVirt.Boot.Tests.Acpi.TableBytes;

namespace SharpVirt.Boot.Tests.Acpi;

public sealed class MadtTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(64)]
    [InlineData(255)]
    public void Describes_one_enabled_local_apic_per_vcpu(int vcpus)
    {
        var entries = Entries(Madt(vcpus));

        var lapics = entries.Where(e => e[0] == 0).ToArray();
        Assert.Equal(vcpus, lapics.Length);
        for (var i = 0; i < vcpus; i++)
        {
            Assert.Equal(8, lapics[i].Length);
            Assert.Equal(i, lapics[i][2]); // ACPI processor UID
            Assert.Equal(i, lapics[i][3]); // APIC ID
            Assert.Equal(1u, U32(lapics[i], 4)); // enabled
        }
    }

    [Fact]
    public void Header_gives_the_local_apic_address_and_pcat_compat()
    {
        var madt = Madt(2);

        Assert.Equal(5, madt[8]);
        Assert.Equal(0xfee0_0000u, U32(madt, 36));
        Assert.Equal(1u, U32(madt, 40));
    }

    [Fact]
    public void Has_one_ioapic_the_timer_override_and_the_lint1_nmi()
    {
        var entries = Entries(Madt(4));

        var ioApic = Assert.Single(entries, e => e[0] == 1);
        Assert.Equal(12, ioApic.Length);
        Assert.Equal(0xfec0_0000u, U32(ioApic, 4));
        Assert.Equal(0u, U32(ioApic, 8)); // GSI base

        var timer = Assert.Single(entries, e => e[0] == 2);
        Assert.Equal(10, timer.Length);
        Assert.Equal(0, timer[2]);         // ISA
        Assert.Equal(0, timer[3]);         // IRQ0
        Assert.Equal(2u, U32(timer, 4));   // GSI 2
        Assert.Equal(0x0005, U16(timer, 8)); // edge, active high

        var nmi = Assert.Single(entries, e => e[0] == 4);
        Assert.Equal(6, nmi.Length);
        Assert.Equal(0xff, nmi[2]); // all processors
        Assert.Equal(1, nmi[5]);    // LINT1

        Assert.Equal(4 + 3, entries.Count);
    }

    private static byte[] Madt(int vcpus) => AcpiTables.Build(new AcpiConfig(vcpus)).Table("APIC").Bytes;

    /// <summary>Walks the interrupt controller structures after the 44-byte fixed part, as Linux does.</summary>
    private static List<byte[]> Entries(byte[] madt)
    {
        var entries = new List<byte[]>();
        var at = 44;
        while (at < madt.Length)
        {
            var length = madt[at + 1];
            Assert.True(length >= 2 && at + length <= madt.Length);
            entries.Add(madt[at..(at + length)]);
            at += length;
        }

        Assert.Equal(madt.Length, at);
        return entries;
    }
}
