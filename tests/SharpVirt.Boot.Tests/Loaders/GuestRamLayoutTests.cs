namespace SharpVirt.Boot.Tests.Loaders;

public sealed class GuestRamLayoutTests
{
    private const ulong MiB = 1UL << 20;
    private const ulong GiB = 1UL << 30;

    [Fact]
    public void Memory_below_the_hole_is_one_range_from_zero()
    {
        Assert.Equal([(0UL, 512 * MiB)], GuestRamLayout.Ranges(512 * MiB));
        Assert.Equal([(0UL, 3 * GiB)], GuestRamLayout.Ranges(3 * GiB));
    }

    [Fact]
    public void Memory_above_3_GiB_continues_at_4_GiB()
    {
        Assert.Equal([(0UL, 3 * GiB), (4 * GiB, GiB)], GuestRamLayout.Ranges(4 * GiB));
        Assert.Equal([(0UL, 3 * GiB), (4 * GiB, 4 * MiB)], GuestRamLayout.Ranges(3 * GiB + 4 * MiB));
    }

    [Fact]
    public void The_ranges_always_add_up_to_the_memory_size()
    {
        foreach (var size in new[] { 16 * MiB, 3 * GiB - 4096, 3 * GiB, 3 * GiB + 4096, 64 * GiB })
        {
            Assert.Equal(size, GuestRamLayout.Ranges(size).Aggregate(0UL, (sum, r) => sum + r.Size));
        }
    }

    [Fact]
    public void The_e820_map_reserves_the_EBDA_and_BIOS_area_below_1_MiB()
    {
        var map = GuestRamLayout.E820Map(512 * MiB);

        Assert.Equal(
        [
            new E820Entry(0, 0x9fc00, E820Type.Ram),
            new E820Entry(0x9fc00, 0x100000 - 0x9fc00, E820Type.Reserved),
            new E820Entry(0x100000, 511 * MiB, E820Type.Ram),
        ], map);
    }

    [Fact]
    public void The_e820_map_of_a_large_guest_has_RAM_above_4_GiB_and_nothing_in_the_hole()
    {
        var map = GuestRamLayout.E820Map(4 * GiB);

        Assert.Equal(4, map.Count);
        Assert.Equal(new E820Entry(0x100000, 3 * GiB - MiB, E820Type.Ram), map[2]);
        Assert.Equal(new E820Entry(4 * GiB, GiB, E820Type.Ram), map[3]);
        Assert.DoesNotContain(map, e => e.Address < 4 * GiB && e.Address + e.Size > 3 * GiB);
    }

    [Fact]
    public void E820_entries_are_sorted_and_disjoint()
    {
        var map = GuestRamLayout.E820Map(8 * GiB);
        for (var i = 1; i < map.Count; i++)
        {
            Assert.True(map[i - 1].Address + map[i - 1].Size <= map[i].Address, $"entry {i - 1} overlaps entry {i}");
        }
    }
}
