using System.Buffers.Binary;
using SharpVirt.Devices.Tests.Virtio.Rng;
using SharpVirt.Devices.Virtio;
using SharpVirt.Devices.Virtio.Balloon;
using SharpVirt.Memory;

namespace SharpVirt.Devices.Tests.Virtio.Balloon;

/// <summary>The balloon against queues in real guest memory: released pages read as zeros, the host's RSS drops.</summary>
public sealed class VirtioBalloonTests : IDisposable
{
    private const ulong Version1 = 1UL << VirtioFeatures.Version1;
    private const ulong Stats = 1UL << VirtioBalloon.FeatureStatsQueue;
    private const ulong Reporting = 1UL << VirtioBalloon.FeaturePageReporting;
    private const ulong Pfns = MockQueue.DataArea; // page-number arrays
    private const ulong Pages = 0x40000; // guest pages the tests give away (256 KiB up)

    private readonly GuestMemory _memory = MockQueue.CreateMemory();
    private readonly RecordingInterrupt _interrupt = new();
    private readonly List<MockQueue> _queues = [];
    private VirtioBalloon? _balloon;

    public void Dispose()
    {
        _balloon?.Dispose();
        _memory.Dispose();
    }

    private VirtioBalloon Start(ulong features, TimeSpan? stats = null, bool reporting = true, long target = 0)
    {
        _balloon = new VirtioBalloon(target, deflateOnOom: false, stats ?? TimeSpan.Zero, reporting);
        var count = 2 + ((features & Stats) != 0 ? 1 : 0) + ((features & Reporting) != 0 ? 1 : 0);
        for (var i = 0; i < count; i++)
        {
            // 16-entry queues 0x400 apart: no ring of one overlaps a ring of another, all below the data area.
            _queues.Add(new MockQueue(_memory, 16, (ulong)i * 0x400));
        }

        _balloon.Activate(new VirtioActivation(_memory, Version1 | features, [.. _queues.Select(q => q.Config)], _interrupt));
        return _balloon;
    }

    private void Fill(ulong address, int length, byte value) => _memory.GetSpan(address, length).Fill(value);

    private ushort SendPfns(int queue, params uint[] pfns)
    {
        var bytes = new byte[pfns.Length * 4];
        for (var i = 0; i < pfns.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), pfns[i]);
        }

        var at = Pfns + ((ulong)queue * 0x1000);
        _memory.Write(at, bytes);
        var head = _queues[queue].AddChain((at, (uint)bytes.Length, false));
        _balloon!.QueueNotify(queue);
        return head;
    }

    [Fact]
    public void Identity_and_queues_follow_the_options()
    {
        using var plain = new VirtioBalloon(0, deflateOnOom: false, TimeSpan.Zero, freePageReporting: false);
        Assert.Equal(5u, plain.DeviceType);
        Assert.Equal(2, plain.QueueMaxSizes.Count);
        Assert.Equal(0UL, plain.AvailableFeatures & (Stats | Reporting | (1UL << 2)));

        using var full = new VirtioBalloon(0, deflateOnOom: true, TimeSpan.FromSeconds(5), freePageReporting: true);
        Assert.Equal(4, full.QueueMaxSizes.Count);
        Assert.Equal(Stats | Reporting | (1UL << 2), full.AvailableFeatures & (Stats | Reporting | (1UL << 2)));
    }

    [Fact]
    public void The_target_is_in_pages_the_driver_writes_actual_and_a_new_target_interrupts()
    {
        var balloon = Start(0, target: 64);
        var config = new byte[16];
        balloon.ReadConfig(0, config);
        Assert.Equal(64u * 256, BinaryPrimitives.ReadUInt32LittleEndian(config));

        balloon.WriteConfig(4, [0x00, 0x20, 0, 0]); // actual = 8192 pages
        balloon.WriteConfig(0, [9, 9, 9, 9]); // num_pages is the device's: ignored
        Assert.Equal(32, balloon.ActualMib);
        Assert.Equal(64, balloon.TargetMib);

        balloon.SetTarget(100);
        Assert.Equal(100, balloon.TargetMib);
        Assert.Equal(1, _interrupt.ConfigChanges);
        Assert.Throws<ArgumentOutOfRangeException>(() => balloon.SetTarget(-1));
    }

    [Fact]
    public void Inflated_pages_are_released_and_read_as_zeros_and_their_neighbours_are_kept()
    {
        Start(0);
        Fill(Pages, 16 * 4096, 0xab);
        var first = (uint)(Pages >> 12);
        // Pages 1-3 and 5 of the 16 (two runs).
        SendPfns(0, first + 1, first + 2, first + 3, first + 5);

        Assert.True(RngTestRig.WaitFor(() => _balloon!.Metrics.InflatedPages.Value == 4));
        Assert.All(_memory.GetSpan(Pages + 4096, 3 * 4096).ToArray(), b => Assert.Equal(0, b));
        Assert.All(_memory.GetSpan(Pages + (5 * 4096), 4096).ToArray(), b => Assert.Equal(0, b));
        Assert.All(_memory.GetSpan(Pages, 4096).ToArray(), b => Assert.Equal(0xab, b));
        Assert.All(_memory.GetSpan(Pages + (4 * 4096), 4096).ToArray(), b => Assert.Equal(0xab, b));
        Assert.True(RngTestRig.WaitFor(() => _queues[0].UsedIdx == 1));

        SendPfns(1, first + 1, first + 2);
        Assert.True(RngTestRig.WaitFor(() => _balloon!.Metrics.DeflatedPages.Value == 2));
    }

    [Fact]
    public void Page_numbers_outside_guest_memory_are_counted_and_the_valid_ones_still_served()
    {
        Start(0);
        Fill(Pages, 4096, 0xcd);
        SendPfns(0, uint.MaxValue, (uint)(MockQueue.MemorySize >> 12), (uint)(Pages >> 12));

        Assert.True(RngTestRig.WaitFor(() => _balloon!.Metrics.InflatedPages.Value == 1));
        Assert.True(RngTestRig.WaitFor(() => _balloon!.Metrics.Errors.Value == 2)); // two runs, neither in guest memory
        Assert.All(_memory.GetSpan(Pages, 4096).ToArray(), b => Assert.Equal(0, b));
    }

    [Fact]
    public void Reported_free_ranges_are_released_and_the_chain_returned()
    {
        Start(Reporting);
        Fill(Pages, 64 * 1024, 0x11);
        // The reporting queue is number 2 when statistics are not negotiated.
        var head = _queues[2].AddChain((Pages, 32 * 1024, true), (Pages + (48 * 1024), 8 * 1024, true));
        _balloon!.QueueNotify(2);

        Assert.True(RngTestRig.WaitFor(() => _queues[2].UsedIdx == 1));
        Assert.Equal((head, 0u), _queues[2].ReadUsed(0));
        Assert.Equal(40 * 1024, _balloon.Metrics.ReportedBytes.Value);
        Assert.All(_memory.GetSpan(Pages, 32 * 1024).ToArray(), b => Assert.Equal(0, b));
        Assert.All(_memory.GetSpan(Pages + (32 * 1024), 16 * 1024).ToArray(), b => Assert.Equal(0x11, b));
    }

    [Fact]
    public void Statistics_are_parsed_kept_and_the_buffer_is_handed_back_every_interval()
    {
        Start(Stats | Reporting | (1UL << VirtioFeatures.RingEventIdx), stats: TimeSpan.FromMilliseconds(200));
        var stats = new byte[3 * 10];
        void Entry(int i, ushort tag, ulong value)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(stats.AsSpan(i * 10), tag);
            BinaryPrimitives.WriteUInt64LittleEndian(stats.AsSpan((i * 10) + 2), value);
        }

        Entry(0, 4, 123 << 20); // free memory
        Entry(1, 5, 256 << 20); // total memory
        Entry(2, 99, 7); // an unknown tag is ignored
        _memory.Write(Pfns + 0x3000, stats);
        var head = _queues[2].AddChain((Pfns + 0x3000, (uint)stats.Length, false));
        _balloon!.QueueNotify(2);

        Assert.True(RngTestRig.WaitFor(() => _balloon.Statistics is not null));
        Assert.Equal(123L << 20, _balloon.Statistics!.FreeMemory);
        Assert.Equal(256L << 20, _balloon.Statistics.TotalMemory);
        Assert.Null(_balloon.Statistics.SwapIn);
        Assert.Equal(0, _queues[2].UsedIdx); // held until the interval passes
        Assert.Equal(1, _queues[2].AvailEvent); // so that the driver's next post is kicked (EVENT_IDX)
        Assert.True(RngTestRig.WaitFor(() => _queues[2].UsedIdx == 1));
        Assert.Equal((head, 0u), _queues[2].ReadUsed(0));
        Assert.True(RngTestRig.WaitFor(() => _interrupt.LastQueue == 2)); // signalled just after used.idx moves

        // The driver refills the same buffer and posts it again: a second update, handed back after the interval.
        Entry(0, 4, 100 << 20);
        _memory.Write(Pfns + 0x3000, stats);
        _queues[2].Publish(head);
        _balloon.QueueNotify(2);
        Assert.True(RngTestRig.WaitFor(() => _balloon.Statistics?.FreeMemory == 100L << 20));
        Assert.Equal(2, _queues[2].AvailEvent);
        Assert.True(RngTestRig.WaitFor(() => _queues[2].UsedIdx == 2));
        Assert.Equal(2, _balloon.Metrics.StatsUpdates.Value);
    }

    [Fact]
    public unsafe void Inflating_touched_memory_lowers_this_process_rss()
    {
        using var memory = GuestMemory.Create([(0, 128UL << 20)]);
        var queue = new MockQueue(memory, 256);
        using var balloon = new VirtioBalloon(0, false, TimeSpan.Zero, false);
        balloon.Activate(new VirtioActivation(memory, Version1, [queue.Config, new MockQueue(memory, 16, 0x8000).Config], _interrupt));
        const ulong region = 32UL << 20; // 64 MiB from 32 MiB, touched by the "guest"
        memory.GetSpan(region, 64 << 20).Fill(1);
        var before = Rss();

        // 64 MiB in chains of 256 page numbers, as Linux sends them.
        var pfns = new byte[256 * 4];
        for (var chain = 0; chain < 64; chain++)
        {
            for (var i = 0; i < 256; i++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(pfns.AsSpan(i * 4), (uint)((region >> 12) + (ulong)(chain * 256) + (ulong)i));
            }

            var at = MockQueue.DataArea + ((ulong)(chain % 16) * 0x1000);
            memory.Write(at, pfns);
            queue.AddChain((at, (uint)pfns.Length, false));
            balloon.QueueNotify(0);
            Assert.True(RngTestRig.WaitFor(() => queue.UsedIdx == chain + 1));
        }

        Assert.Equal(16384, balloon.Metrics.InflatedPages.Value);
        var after = Rss();
        Assert.True(before - after > 48L << 20, $"RSS {before >> 20} MiB -> {after >> 20} MiB");
    }

    private static long Rss() =>
        long.Parse(File.ReadAllLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
}
