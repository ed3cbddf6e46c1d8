using System.Runtime.InteropServices;

namespace SharpVirt.Interop.Tests;

public sealed unsafe class NativeCodeTests : IDisposable
{
    // 32 bytes, 16-aligned: the target is its first half; +8 is a misaligned address inside the same buffer.
    private readonly ulong* _buffer = (ulong*)NativeMemory.AlignedAlloc(32, 16);

    public NativeCodeTests()
    {
        _buffer[0] = 0x1111_1111_1111_1111;
        _buffer[1] = 0x2222_2222_2222_2222;
        _buffer[2] = 0x3333_3333_3333_3333;
        _buffer[3] = 0x4444_4444_4444_4444;
    }

    public void Dispose() => NativeMemory.AlignedFree(_buffer);

    [Fact]
    public void A_matching_compare_exchange_stores_the_new_value_and_returns_true()
    {
        Span<ulong> expected = [0x1111_1111_1111_1111, 0x2222_2222_2222_2222];
        ReadOnlySpan<ulong> desired = [0xaaaa_0000_0000_0001, 0xbbbb_0000_0000_0002];

        Assert.True(NativeCode.CompareExchange128((nint)_buffer, expected, desired));

        Assert.Equal(0xaaaa_0000_0000_0001UL, _buffer[0]);
        Assert.Equal(0xbbbb_0000_0000_0002UL, _buffer[1]);
        Assert.Equal(0x1111_1111_1111_1111UL, expected[0]);
        Assert.Equal(0x2222_2222_2222_2222UL, expected[1]);
        Assert.Equal(0x3333_3333_3333_3333UL, _buffer[2]);
    }

    [Fact]
    public void A_mismatch_leaves_memory_alone_returns_false_and_reports_the_current_value()
    {
        // Only the high word differs: cmpxchg16b compares all 128 bits.
        Span<ulong> expected = [0x1111_1111_1111_1111, 0x9999];
        ReadOnlySpan<ulong> desired = [1, 2];

        Assert.False(NativeCode.CompareExchange128((nint)_buffer, expected, desired));

        Assert.Equal(0x1111_1111_1111_1111UL, _buffer[0]);
        Assert.Equal(0x2222_2222_2222_2222UL, _buffer[1]);
        Assert.Equal(0x1111_1111_1111_1111UL, expected[0]);
        Assert.Equal(0x2222_2222_2222_2222UL, expected[1]);
    }

    [Fact]
    public void A_retry_with_the_reported_value_succeeds()
    {
        Span<ulong> expected = [0, 0];
        ReadOnlySpan<ulong> desired = [5, 6];
        Assert.False(NativeCode.CompareExchange128((nint)_buffer, expected, desired));
        Assert.True(NativeCode.CompareExchange128((nint)_buffer, expected, desired));
        Assert.Equal(5UL, _buffer[0]);
        Assert.Equal(6UL, _buffer[1]);
    }

    [Fact]
    public void A_misaligned_target_is_refused_before_touching_memory()
    {
        // The 16 bytes at +8 hold exactly the "expected" value: only the alignment check can stop the store.
        var target = (nint)_buffer + 8;
        var e = Assert.Throws<ArgumentException>(() =>
        {
            Span<ulong> exp = [0x2222_2222_2222_2222, 0x3333_3333_3333_3333];
            NativeCode.CompareExchange128(target, exp, [7, 8]);
        });
        Assert.Contains("16-byte aligned", e.Message);
        Assert.Equal(0x2222_2222_2222_2222UL, _buffer[1]);
        Assert.Equal(0x3333_3333_3333_3333UL, _buffer[2]);
    }

    [Fact]
    public void Operands_that_are_not_two_words_are_refused()
    {
        var target = (nint)_buffer;
        Assert.Throws<ArgumentException>(() => NativeCode.CompareExchange128(target, new ulong[1], new ulong[2]));
        Assert.Throws<ArgumentException>(() => NativeCode.CompareExchange128(target, new ulong[2], new ulong[3]));
        Assert.Equal(0x1111_1111_1111_1111UL, _buffer[0]);
    }
}
