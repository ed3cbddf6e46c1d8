using System.Buffers.Binary;
using SharpVirt.Devices.RateLimiting;
using SharpVirt.Devices.Tests.Virtio.Rng;
using SharpVirt.Devices.Virtio;
using SharpVirt.Devices.Virtio.Net;
using SharpVirt.Memory;

namespace SharpVirt.Devices.Tests.Virtio.Net;

/// <summary>A VirtioNet on a socket-pair backend, its receive and transmit queues laid out in real guest memory.</summary>
public sealed class NetTestRig : IDisposable
{
    public const ulong RxBuffers = MockQueue.DataArea;          // 16 x 4 KiB receive buffers
    public const ulong TxBuffers = MockQueue.DataArea + 0x20000; // transmit frames
    public static readonly byte[] MacAddress = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];

    public const ulong Mergeable = 1UL << VirtioNet.FeatureMergeableRx;
    public const ulong GuestOffloads =
        (1UL << VirtioNet.FeatureGuestCsum) | (1UL << VirtioNet.FeatureGuestTso4) | (1UL << VirtioNet.FeatureGuestTso6);

    public NetTestRig(RateLimiter? rx = null, RateLimiter? tx = null)
    {
        Memory = MockQueue.CreateMemory();
        Rx = new MockQueue(Memory, 16);
        Tx = new MockQueue(Memory, 16, MockQueue.SecondQueueOffset);
        Device = new VirtioNet(Backend, MacAddress, rx, tx);
    }

    public GuestMemory Memory { get; }

    public MockQueue Rx { get; }

    public MockQueue Tx { get; }

    public SocketPairBackend Backend { get; } = new();

    public RecordingInterrupt Interrupt { get; } = new();

    public VirtioNet Device { get; }

    public void Activate(ulong features = 0) =>
        Device.Activate(new VirtioActivation(Memory, (1UL << VirtioFeatures.Version1) | features, [Rx.Config, Tx.Config], Interrupt));

    /// <summary>Posts <paramref name="count"/> receive buffers of <paramref name="size"/> bytes and notifies.</summary>
    public void PostRxBuffers(int count, uint size = 4096)
    {
        for (var i = 0; i < count; i++)
        {
            Rx.AddChain((RxBuffers + ((ulong)_rxPosted++ % 16 * 0x1000), size, true));
        }

        Device.QueueNotify(0);
    }

    private int _rxPosted;

    /// <summary>A frame as the host sees it: a 12-byte header (zero but for <paramref name="flags"/>) and a payload.</summary>
    public static byte[] Frame(int payloadLength, int seed, byte flags = 0)
    {
        var frame = new byte[VirtioNet.HeaderSize + payloadLength];
        frame[0] = flags;
        new Random(seed).NextBytes(frame.AsSpan(VirtioNet.HeaderSize));
        return frame;
    }

    public void WaitForRxUsed(int count) =>
        Assert.True(RngTestRig.WaitFor(() => Rx.UsedIdx >= count), $"rx used.idx stayed at {Rx.UsedIdx}, expected {count}");

    public void WaitForTxUsed(int count) =>
        Assert.True(RngTestRig.WaitFor(() => Tx.UsedIdx >= count), $"tx used.idx stayed at {Tx.UsedIdx}, expected {count}");

    public byte[] ReadGuest(ulong address, int length)
    {
        var bytes = new byte[length];
        Memory.Read(address, bytes);
        return bytes;
    }

    public static ushort NumBuffers(byte[] header) => BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(10));

    public void Dispose()
    {
        Device.Dispose();
        Memory.Dispose();
    }
}
