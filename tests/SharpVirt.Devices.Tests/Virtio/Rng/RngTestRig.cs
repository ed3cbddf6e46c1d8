using System.Diagnostics;
using SharpVirt.Devices.Virtio;
using SharpVirt.Devices.Virtio.Rng;
using SharpVirt.Memory;

namespace SharpVirt.Devices.Tests.Virtio.Rng;

/// <summary>An interrupt that records every signal.</summary>
public sealed class RecordingInterrupt : IVirtioInterrupt
{
    private int _usedBufferSignals;
    private int _configChanges;
    private int _lastQueue = -1;

    public int UsedBufferSignals => Volatile.Read(ref _usedBufferSignals);

    public int ConfigChanges => Volatile.Read(ref _configChanges);

    public int LastQueue => Volatile.Read(ref _lastQueue);

    public void SignalUsedBuffer(int queueIndex)
    {
        Volatile.Write(ref _lastQueue, queueIndex);
        Interlocked.Increment(ref _usedBufferSignals);
    }

    public void SignalConfigChange() => Interlocked.Increment(ref _configChanges);
}

/// <summary>A deterministic entropy source: a running byte counter (0, 1, 2, ...) across calls.</summary>
public sealed class CountingSource
{
    private long _next;

    public void Fill(Span<byte> data)
    {
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (byte)_next++;
        }
    }

    /// <summary>The bytes the source produces from position <paramref name="start"/>.</summary>
    public static byte[] Expected(long start, int count) => [.. Enumerable.Range(0, count).Select(i => (byte)(start + i))];
}

/// <summary>A VirtioRng activated over a MockQueue in real guest memory.</summary>
public sealed class RngTestRig : IDisposable
{
    public const ulong AllFeatures =
        (1UL << VirtioFeatures.Version1) | (1UL << VirtioFeatures.RingIndirectDesc) | (1UL << VirtioFeatures.RingEventIdx);

    public RngTestRig(Action<Span<byte>>? fill = null, ushort queueSize = 16)
    {
        Memory = MockQueue.CreateMemory();
        Driver = new MockQueue(Memory, queueSize);
        Device = new VirtioRng(fill ?? Source.Fill);
    }

    public GuestMemory Memory { get; }

    public MockQueue Driver { get; }

    public CountingSource Source { get; } = new();

    public RecordingInterrupt Interrupt { get; } = new();

    public VirtioRng Device { get; }

    public void Activate(ulong features = 1UL << VirtioFeatures.Version1, QueueConfig? config = null) =>
        Device.Activate(new VirtioActivation(Memory, features, [config ?? Driver.Config], Interrupt));

    /// <summary>Polls until <paramref name="condition"/> holds, for at most 5 s; returns whether it did.</summary>
    public static bool WaitFor(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(5))
            {
                return false;
            }

            Thread.Sleep(2);
        }

        return true;
    }

    /// <summary>Waits (bounded) until the used ring index reaches <paramref name="count"/>.</summary>
    public void WaitForUsed(int count) =>
        Assert.True(WaitFor(() => Driver.UsedIdx >= count), $"used.idx stayed at {Driver.UsedIdx}, expected {count}");

    public byte[] ReadGuest(ulong address, int length)
    {
        var bytes = new byte[length];
        Memory.Read(address, bytes);
        return bytes;
    }

    public void Dispose()
    {
        Device.Dispose();
        Memory.Dispose();
    }
}
