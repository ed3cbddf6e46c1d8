using System.Diagnostics;
using CsCheck;
using SharpVirt.Devices.Virtio.Queue;

namespace SharpVirt.Devices.Tests.Virtio.Queue;

/// <summary>A hostile driver scribbling over the descriptor table, indirect table and available ring.</summary>
public sealed class VirtqueuePropertyTests
{
    private const ushort Size = 16;
    private const ulong IndirectTable = 0x8000;
    private const int IndirectEntries = 8;

    // Biased toward the edges that matter: inside memory, around its end, indirect table, and anything at all.
    private static readonly Gen<ulong> Address = Gen.OneOf(
        Gen.ULong[MockQueue.DataArea, MockQueue.DataArea + 0x1000],
        Gen.ULong[MockQueue.MemorySize - 64, MockQueue.MemorySize + 64],
        Gen.Const(IndirectTable),
        Gen.ULong[ulong.MaxValue - 64, ulong.MaxValue],
        Gen.ULong);

    private static readonly Gen<uint> Length = Gen.OneOf(Gen.UInt[0, 64], Gen.Const(16u * IndirectEntries), Gen.UInt);

    private static readonly Gen<ushort> SmallIndex = Gen.OneOf(Gen.UShort[0, Size + 1], Gen.UShort);

    private static readonly Gen<(ulong Address, uint Length, ushort Flags, ushort Next)> RawDescriptor =
        Gen.Select(Address, Length, Gen.UShort[0, 7], SmallIndex);

    private sealed record Case(
        (ulong Address, uint Length, ushort Flags, ushort Next)[] Table,
        (ulong Address, uint Length, ushort Flags, ushort Next)[] Indirect,
        ushort[] Ring,
        ushort AvailIdx,
        ushort AvailFlags,
        byte[] Noise,
        int NoiseAt,
        bool EventIdx,
        bool IndirectFeature);

    private static readonly Gen<Case> Cases =
        Gen.Select(
            RawDescriptor.Array[Size],
            RawDescriptor.Array[IndirectEntries],
            SmallIndex.Array[Size],
            Gen.OneOf(Gen.UShort[0, Size + 2], Gen.UShort),
            Gen.UShort,
            Gen.Byte.Array[0, 32],
            Gen.Int[0, (Size * 16) + 6 + (2 * Size)],
            Gen.Int[0, 3],
            (table, indirect, ring, idx, flags, noise, noiseAt, features) =>
                new Case(table, indirect, ring, idx, flags, noise, noiseAt, (features & 1) != 0, (features & 2) != 0));

    [Fact]
    public void Random_rings_never_throw_never_escape_guest_memory_and_terminate()
    {
        using var memory = MockQueue.CreateMemory();
        var driver = new MockQueue(memory, Size);
        var stopwatch = Stopwatch.StartNew();
        long popped = 0, errors = 0, broken = 0;

        Cases.Sample(c =>
        {
            Lay(driver, c);
            var queue = driver.CreateQueue(c.EventIdx, c.IndirectFeature);
            var pops = 0;
            // At most Size chains can be pending; two extra pops prove the queue then reports empty.
            for (; pops < Size + 2; pops++)
            {
                if (queue.TryPop(out var chain, out var rejected))
                {
                    CheckChain(memory, chain);
                    queue.AddUsed(chain.Head, 0);
                }
                else if (rejected is { } head)
                {
                    queue.AddUsed(head, 0);
                }
                else if (queue.LastError is null || queue.IsBroken || !queue.HasAvailable())
                {
                    break;
                }
            }

            if (pops == Size + 2 && queue.HasAvailable())
            {
                throw new InvalidOperationException("queue still reports buffers after more pops than its size");
            }

            _ = queue.NeedsNotification();
            Interlocked.Add(ref popped, queue.PoppedChains);
            Interlocked.Add(ref errors, queue.ErrorCount);
            Interlocked.Add(ref broken, queue.IsBroken ? 1 : 0);
        }, iter: 20_000, threads: 1);

        stopwatch.Stop();
        Assert.True(popped > 0, "no valid chain was ever generated");
        Assert.True(errors > 0, "no invalid chain was ever generated");
        Assert.True(broken > 0, "no avail index jump was ever generated");
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(3), $"took {stopwatch.Elapsed}");
    }

    private static void Lay(MockQueue driver, Case c)
    {
        var memory = driver.Memory;
        memory.Clear(MockQueue.UsedRing, (int)VirtqLayout.UsedRingBytes(Size));
        for (var i = 0; i < c.Table.Length; i++)
        {
            driver.WriteDescriptor(i, c.Table[i].Address, c.Table[i].Length, c.Table[i].Flags, c.Table[i].Next);
        }

        for (var i = 0; i < c.Indirect.Length; i++)
        {
            driver.WriteDescriptor(IndirectTable, i, c.Indirect[i].Address, c.Indirect[i].Length, c.Indirect[i].Flags, c.Indirect[i].Next);
        }

        for (var i = 0; i < c.Ring.Length; i++)
        {
            memory.Write(MockQueue.AvailRing + 4 + (2 * (ulong)i), c.Ring[i]);
        }

        driver.SetAvailFlags(c.AvailFlags);
        driver.SetAvailIdx(c.AvailIdx);

        // Raw bytes over the descriptor table or the available ring, wherever they land.
        var target = c.NoiseAt < Size * 16
            ? MockQueue.DescriptorTable + (ulong)c.NoiseAt
            : MockQueue.AvailRing + (ulong)(c.NoiseAt - (Size * 16));
        var end = target < MockQueue.AvailRing ? MockQueue.DescriptorTable + (Size * 16) : MockQueue.AvailRing + VirtqLayout.AvailableRingBytes(Size);
        var count = (int)Math.Min((ulong)c.Noise.Length, end - target);
        memory.Write(target, c.Noise.AsSpan(0, count));
    }

    private static void CheckChain(SharpVirt.Memory.GuestMemory memory, DescriptorChain chain)
    {
        if (chain.Head >= Size)
        {
            throw new InvalidOperationException($"head {chain.Head} out of range");
        }

        ulong readable = 0, writable = 0;
        var seenWritable = false;
        foreach (var d in chain.Descriptors)
        {
            if (d.Length == 0 || !memory.IsValidRange(d.Address, d.Length))
            {
                throw new InvalidOperationException($"buffer 0x{d.Address:x}+0x{d.Length:x} escapes guest memory");
            }

            if (!d.DeviceWritable && seenWritable)
            {
                throw new InvalidOperationException("readable buffer after a writable one");
            }

            seenWritable |= d.DeviceWritable;
            if (d.DeviceWritable)
            {
                writable += d.Length;
            }
            else
            {
                readable += d.Length;
            }
        }

        if (readable != chain.ReadableLength || writable != chain.WritableLength || readable + writable > uint.MaxValue)
        {
            throw new InvalidOperationException("chain lengths are inconsistent");
        }

        Span<byte> scratch = stackalloc byte[64];
        chain.CopyFrom(memory, scratch, 3);
        chain.CopyTo(memory, scratch, 5);
    }
}
