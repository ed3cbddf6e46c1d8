using System.Buffers.Binary;
using System.Diagnostics;
using CsCheck;
using SharpVirt.Devices.Tests.Virtio.Net;
using SharpVirt.Devices.Tests.Virtio.Rng;
using SharpVirt.Devices.Virtio;
using SharpVirt.Devices.Virtio.Balloon;
using SharpVirt.Devices.Virtio.Block;
using SharpVirt.Devices.Virtio.Console;
using SharpVirt.Devices.Virtio.Net;
using SharpVirt.Devices.Virtio.Queue;
using SharpVirt.Devices.Virtio.Vsock;
using SharpVirt.Memory;

namespace SharpVirt.Devices.Tests.Virtio;

/// <summary>
/// A hostile driver against every device's request parser: each case activates the device, publishes random chains
/// (well-formed layouts with random request bytes, and now and then random descriptors), then one valid request. The
/// valid one must complete: the device neither crashed, nor hung, nor stopped serving. (That no access leaves guest
/// memory is the queue's and GuestMemory's own property tests' concern.)
/// </summary>
public sealed class DeviceFuzzTests
{
    /// <summary>Cases per device; the README reports these numbers.</summary>
    public const int Cases = 2000;

    private const ulong Area = MockQueue.DataArea;          // request bytes live here (64 KiB)
    private const ulong CanaryAt = MockQueue.DataArea + 0x20000;
    private const ulong RingPages = MockQueue.DataArea; // the rings of every queue live below the data area

    /// <summary>One random chain: buffers (offset into the area or a wild address, length, writable) and its bytes.</summary>
    private sealed record Chain((ulong Address, uint Length, bool Writable)[] Buffers, byte[] Bytes);

    // Anywhere but the ring pages: a driver that points buffers at its own rings corrupts only itself, and the harness
    // needs its rings to tell a served request from a hung device. (CsCheck's Gen.ULong favours small numbers.)
    private static readonly Gen<ulong> Where = Gen.OneOf(
        Gen.ULong[0, 0xf000].Select(o => Area + (o & ~7UL)),
        Gen.ULong[MockQueue.MemorySize - 256, MockQueue.MemorySize + 256],
        Gen.ULong.Select(a => a < RingPages ? a + RingPages : a));

    private static readonly Gen<uint> HowLong = Gen.OneOf(Gen.UInt[0, 64], Gen.UInt[0, 4096], Gen.Const(44u), Gen.Const(16u), Gen.UInt);

    private static Gen<Chain> Chains(Gen<byte[]> requestBytes) =>
        Gen.Select(
            Gen.Select(Where, HowLong, Gen.Bool).Array[1, 4],
            requestBytes,
            Gen.Int[0, 9],
            (wild, bytes, kind) => kind == 0
                ? new Chain(wild, bytes) // anything at all
                : new Chain([(Area, (uint)bytes.Length, false), (Area + 0x8000, (uint)(kind * 512), true)], bytes));

    /// <summary>Bytes that look like a request header of <paramref name="size"/> bytes with a few fields set sensibly.</summary>
    private static Gen<byte[]> Header(int size, Action<Random, byte[]> shape) =>
        Gen.Select(Gen.Byte.Array[size, size + 600], Gen.Int, (bytes, seed) =>
        {
            shape(new Random(seed), bytes);
            return bytes;
        });

    private static void Run(string device, Gen<Chain> chains, Func<GuestMemory, (VirtioDevice Device, MockQueue Queue, int Index, Action<MockQueue> Canary, VirtioActivation Activation)> setUp)
    {
        using var memory = MockQueue.CreateMemory();
        var (dev, queue, index, canary, activation) = setUp(memory);
        using var _ = dev;
        var clock = Stopwatch.StartNew();
        var cases = 0;
        chains.Array[1, 12].Sample(batch =>
        {
            dev.Reset();
            memory.GetSpan(0, (int)RingPages).Clear();
            queue = new MockQueue(memory, queue.Size, queue.Offset);
            dev.Activate(activation);
            foreach (var chain in batch)
            {
                memory.Write(Area, chain.Bytes.AsSpan(0, Math.Min(chain.Bytes.Length, 0x8000)));
                queue.AddChain(chain.Buffers);
            }

            canary(queue);
            dev.QueueNotify(index);
            var expected = batch.Length + 1;
            Assert.True(RngTestRig.WaitFor(() => queue.UsedIdx == expected),
                $"{device}: used.idx {queue.UsedIdx} of {expected} after {cases} cases; counters: "
                + string.Join(" ", ((SharpVirt.Devices.Metrics.MetricSet)dev.GetType().GetProperty("Metrics")!.GetValue(dev)!).Snapshot())
                + $"; avail.idx {memory.Read<ushort>(MockQueue.AvailRing + queue.Offset + 2)}; chains: "
                + string.Join(" | ", batch.Select(c => string.Join(",", c.Buffers.Select(b => $"0x{b.Address:x}+0x{b.Length:x}{(b.Writable ? "w" : "")}"))
                    + " bytes " + Convert.ToHexString(c.Bytes.AsSpan(0, Math.Min(24, c.Bytes.Length))))));
            cases++;
        }, iter: Cases, threads: 1);

        Assert.Equal(Cases, cases);
        Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), $"{device}: {Cases} cases took {clock.Elapsed}");
    }

    private static VirtioActivation Activation(GuestMemory memory, IReadOnlyList<MockQueue> queues, ulong features = 0) =>
        new(memory, (1UL << VirtioFeatures.Version1) | (1UL << VirtioFeatures.RingIndirectDesc) | features,
            [.. queues.Select(q => q.Config)], new RecordingInterrupt());

    [Fact]
    public void Block_requests()
    {
        var image = Path.GetTempFileName();
        File.WriteAllBytes(image, new byte[1 << 20]);
        try
        {
            var gen = Chains(Header(16, (r, b) =>
            {
                // Mostly real request types and sectors near the end of the 2048-sector image.
                BinaryPrimitives.WriteUInt32LittleEndian(b, (uint)r.Next(0, 16));
                BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(8), r.Next(3) == 0 ? (ulong)r.NextInt64() : (ulong)r.Next(1990, 2100));
                if (b.Length >= 32)
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(16), (ulong)r.Next(0, 2100)); // a discard segment
                    BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(24), (uint)r.Next(0, 64));
                    BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(28), (uint)r.Next(0, 3));
                }
            }));
            Run("virtio-blk", gen, memory =>
            {
                var device = new VirtioBlock(image, readOnly: false);
                var queue = new MockQueue(memory, 64);
                return (device, queue, 0, q =>
                {
                    memory.Write(CanaryAt, BlockHeader(4)); // FLUSH
                    q.AddChain((CanaryAt, 16, false), (CanaryAt + 64, 1, true));
                }, Activation(memory, [queue], (1UL << VirtioBlock.FeatureDiscard) | (1UL << VirtioBlock.FeatureWriteZeroes)));
            });
        }
        finally
        {
            File.Delete(image);
        }
    }

    [Fact]
    public void Network_transmit_frames()
    {
        var backend = new SocketPairBackend();
        var gen = Chains(Header(12, (r, b) => b[0] = (byte)r.Next(0, 4)));
        var sent = 0;
        Run("virtio-net", gen, memory =>
        {
            var device = new VirtioNet(backend, NetTestRig.MacAddress);
            var tx = new MockQueue(memory, 64, MockQueue.SecondQueueOffset);
            var rx = new MockQueue(memory, 16);
            return (device, tx, 1, q =>
            {
                memory.Write(CanaryAt, new byte[60]);
                q.AddChain((CanaryAt, 60, false));
                // Drain the host side so the socket never fills.
                while (backend.HostReceive(0) is not null)
                {
                    sent++;
                }
            }, Activation(memory, [rx, tx]));
        });
        Assert.True(sent > 0);
    }

    [Fact]
    public void Vsock_packets()
    {
        var dir = Directory.CreateTempSubdirectory("sv-fuzz-").FullName;
        try
        {
            var gen = Chains(Header(44, (r, b) =>
            {
                // Mostly this guest to the host, every op, small ports, lengths around the real payload.
                BinaryPrimitives.WriteUInt64LittleEndian(b, r.Next(8) == 0 ? (ulong)r.Next() : 3UL);
                BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(8), r.Next(8) == 0 ? (ulong)r.Next() : 2UL);
                BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(16), (uint)r.Next(0, 4));
                BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(20), (uint)r.Next(0, 4));
                BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(24), r.Next(4) == 0 ? (uint)r.Next() : (uint)(b.Length - 44));
                BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(28), (ushort)r.Next(0, 3));
                BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(30), (ushort)r.Next(0, 9));
            }));
            Run("virtio-vsock", gen, memory =>
            {
                var device = new VirtioVsock(3, Path.Combine(dir, "v.sock"));
                var rx = new MockQueue(memory, 16);
                var tx = new MockQueue(memory, 64, 0x400);
                var ev = new MockQueue(memory, 16, 0x800);
                return (device, tx, 1, q =>
                {
                    var header = new byte[44];
                    BinaryPrimitives.WriteUInt64LittleEndian(header, 3);
                    BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(8), 2);
                    BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(28), 1);
                    BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(30), 3); // RST for nothing: no answer
                    memory.Write(CanaryAt, header);
                    q.AddChain((CanaryAt, 44, false));
                }, Activation(memory, [rx, tx, ev]));
            });
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Balloon_page_numbers_and_free_page_reports()
    {
        // Whole page numbers only (a torn last one would combine with the next bytes into any number at all): inside
        // the test's area, around the end of memory, or anything. Never the ring pages: a guest that balloons its own
        // rings away only hurts itself, and this test needs them.
        var pfn = Gen.OneOf(
            Gen.UInt[(uint)(Area >> 12), (uint)(Area >> 12) + 15],
            Gen.UInt[(uint)(MockQueue.MemorySize >> 12) - 2, (uint)(MockQueue.MemorySize >> 12) + 2],
            Gen.UInt[(uint)(RingPages >> 12), uint.MaxValue]);
        var gen = Chains(pfn.Array[1, 150].Select(pfns =>
        {
            var bytes = new byte[pfns.Length * 4];
            for (var i = 0; i < pfns.Length; i++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), pfns[i]);
            }

            return bytes;
        }));
        Run("virtio-balloon", gen, memory =>
        {
            var device = new VirtioBalloon(0, false, TimeSpan.Zero, freePageReporting: true);
            var inflate = new MockQueue(memory, 64);
            return (device, inflate, 0, q =>
            {
                memory.Write(CanaryAt, (uint)(Area >> 12));
                q.AddChain((CanaryAt, 4, false));
            }, Activation(memory, [inflate, new MockQueue(memory, 16, 0x400), new MockQueue(memory, 16, 0x800)],
                1UL << VirtioBalloon.FeaturePageReporting));
        });
    }

    [Fact]
    public void Console_output()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sv-fuzz-console-{Environment.ProcessId}.log");
        try
        {
            var gen = Chains(Gen.Byte.Array[0, 2000]);
            Run("virtio-console", gen, memory =>
            {
                var device = new VirtioConsole(new FileConsoleBackend(path));
                var tx = new MockQueue(memory, 64, MockQueue.SecondQueueOffset);
                return (device, tx, 1, q =>
                {
                    memory.Write(CanaryAt, "ok\n"u8);
                    q.AddChain((CanaryAt, 3, false));
                }, Activation(memory, [new MockQueue(memory, 16), tx]));
            });
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static byte[] BlockHeader(uint type)
    {
        var header = new byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(header, type);
        return header;
    }
}
