using System.Diagnostics;
using CsCheck;

namespace SharpVirt.Memory.Tests;

public sealed class GuestMemoryPropertyTests
{
    private const ulong MiB = 1UL << 20;
    private const ulong HighStart = 4UL << 30;

    // Region edges and the ends of the address space, where off-by-one and overflow bugs live.
    private static readonly ulong[] Edges = [0, MiB, 2UL << 30, HighStart, HighStart + MiB, ulong.MaxValue];

    private static readonly Gen<ulong> Address = Gen.OneOf(
        Gen.ULong,
        Gen.ULong[0, HighStart + 2 * MiB],
        Gen.Select(Gen.Int[0, Edges.Length - 1], Gen.Long[-8192, 8192], (i, delta) => unchecked(Edges[i] + (ulong)delta)));

    [Fact]
    public void Every_range_is_either_valid_and_readable_or_invalid_and_refused_with_a_GuestMemoryException()
    {
        using var memory = GuestMemory.Create([(0, MiB), (HighStart, MiB)]);
        var stopwatch = Stopwatch.StartNew();
        long validCount = 0, outOfRangeCount = 0, overflowCount = 0;

        Gen.Select(Address, Gen.Int[0, 4096]).Sample((address, length) =>
        {
            var valid = memory.IsValidRange(address, (ulong)length);
            var overflows = ulong.MaxValue - address < (ulong)length;
            var buffer = new byte[length];
            try
            {
                memory.Read(address, buffer);
                if (!valid)
                {
                    throw new InvalidOperationException($"Read(0x{address:x}, {length}) succeeded but IsValidRange said no");
                }

                Interlocked.Increment(ref validCount);
            }
            catch (GuestMemoryException e)
            {
                if (valid)
                {
                    throw new InvalidOperationException($"Read(0x{address:x}, {length}) threw but IsValidRange said yes", e);
                }

                var expectedKind = overflows ? GuestMemoryErrorKind.Overflow : GuestMemoryErrorKind.OutOfRange;
                if (e.Kind != expectedKind)
                {
                    throw new InvalidOperationException($"Read(0x{address:x}, {length}) threw {e.Kind}, expected {expectedKind}", e);
                }

                Interlocked.Increment(ref overflows ? ref overflowCount : ref outOfRangeCount);
            }

            // Any other exception type escapes and fails the sample.
        }, iter: 100_000);

        // The generator must reach all three outcomes, or the property proves little.
        Assert.True(validCount > 10_000 && outOfRangeCount > 10_000 && overflowCount > 1_000,
            $"valid {validCount}, out of range {outOfRangeCount}, overflow {overflowCount} in {stopwatch.Elapsed}");
    }
}
