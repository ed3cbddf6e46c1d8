using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using SharpVirt.Devices.Tests.Virtio.Rng;
using SharpVirt.Devices.Virtio;
using SharpVirt.Devices.Virtio.Vsock;
using SharpVirt.Memory;

namespace SharpVirt.Devices.Tests.Virtio.Vsock;

/// <summary>A guest's view of one vsock packet.</summary>
public sealed record GuestPacket(ulong SrcCid, ulong DstCid, uint SrcPort, uint DstPort, ushort Op, uint Flags, uint BufAlloc, uint FwdCnt, byte[] Payload)
{
    public string Text => Encoding.ASCII.GetString(Payload);
}

/// <summary>A VirtioVsock (guest CID 3) with the guest driver played by the test on queues in real guest memory.</summary>
public sealed class VsockTestRig : IDisposable
{
    public const ulong GuestCid = 3;
    public const ushort Request = 1, Response = 2, Rst = 3, Shutdown = 4, Rw = 5, CreditUpdate = 6, CreditRequest = 7;
    private const ulong RxBuffers = MockQueue.DataArea;             // 16 x 8 KiB
    private const ulong TxBuffers = MockQueue.DataArea + 0x20000;   // 16 x 8 KiB
    private const int RxBufferBytes = 44 + 4096;
    private readonly string _dir = Directory.CreateTempSubdirectory("sv-vsock-").FullName;
    private int _rxPosted;
    private int _rxRead;
    private int _txSent;

    public VsockTestRig()
    {
        Memory = MockQueue.CreateMemory();
        Rx = new MockQueue(Memory, 16);
        Tx = new MockQueue(Memory, 16, 0x400);
        Events = new MockQueue(Memory, 16, 0x800);
        Device = new VirtioVsock(GuestCid, UdsPath);
        Device.Activate(new VirtioActivation(Memory, 1UL << VirtioFeatures.Version1, [Rx.Config, Tx.Config, Events.Config], Interrupt));
    }

    public string UdsPath => Path.Combine(_dir, "v.sock");

    public GuestMemory Memory { get; }

    public MockQueue Rx { get; }

    public MockQueue Tx { get; }

    public MockQueue Events { get; }

    public RecordingInterrupt Interrupt { get; } = new();

    public VirtioVsock Device { get; }

    /// <summary>Posts <paramref name="count"/> receive buffers (header and 4 KiB each, in one descriptor) and notifies.</summary>
    public void PostRx(int count)
    {
        for (var i = 0; i < count; i++)
        {
            Rx.AddChain((RxBuffers + ((ulong)(_rxPosted++ % 16) * 0x2000), RxBufferBytes, true));
        }

        Device.QueueNotify(0);
    }

    /// <summary>The guest sends one packet (header and payload in one descriptor) and notifies.</summary>
    public void Send(ushort op, uint srcPort, uint dstPort, byte[]? payload = null, uint flags = 0, uint bufAlloc = 65536,
        uint fwdCnt = 0, ulong srcCid = GuestCid, ulong dstCid = 2, ushort type = 1, uint? length = null)
    {
        payload ??= [];
        var bytes = new byte[44 + payload.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, srcCid);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), dstCid);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(16), srcPort);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(20), dstPort);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(24), length ?? (uint)payload.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(28), type);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(30), op);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(32), flags);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(36), bufAlloc);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(40), fwdCnt);
        payload.CopyTo(bytes, 44);
        var at = TxBuffers + ((ulong)(_txSent++ % 16) * 0x2000);
        Memory.Write(at, bytes);
        Tx.AddChain((at, (uint)bytes.Length, false));
        Device.QueueNotify(1);
    }

    /// <summary>Waits for the device's next packet to the guest.</summary>
    public GuestPacket Receive()
    {
        var index = _rxRead;
        Assert.True(RngTestRig.WaitFor(() => Rx.UsedIdx > index), $"no packet for the guest (used.idx {Rx.UsedIdx})");
        var (id, length) = Rx.ReadUsed(_rxRead++);
        var bytes = new byte[length];
        Memory.Read(RxBuffers + ((ulong)(id % 16) * 0x2000), bytes);
        Assert.True(length >= 44, $"a packet of {length} bytes");
        var payloadLength = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(24));
        Assert.Equal(length - 44, payloadLength);
        return new GuestPacket(
            BinaryPrimitives.ReadUInt64LittleEndian(bytes), BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(8)),
            BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(16)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(20)),
            BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(30)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(32)),
            BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(36)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(40)),
            bytes[44..]);
    }

    /// <summary>Whether no packet reaches the guest within <paramref name="ms"/>.</summary>
    public bool Quiet(int ms = 200)
    {
        Thread.Sleep(ms);
        return Rx.UsedIdx == _rxRead;
    }

    public Socket ConnectHost()
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { ReceiveTimeout = 5000 };
        socket.Connect(new UnixDomainSocketEndPoint(UdsPath));
        return socket;
    }

    public Socket ListenHost(uint port)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint($"{UdsPath}_{port}"));
        socket.Listen(1);
        return socket;
    }

    public static string ReadLine(Socket socket)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (socket.Receive(one) == 1 && one[0] != '\n')
        {
            line.Append((char)one[0]);
        }

        return line.ToString();
    }

    public static byte[] ReadExactly(Socket socket, int count)
    {
        var buffer = new byte[count];
        for (var done = 0; done < count;)
        {
            var n = socket.Receive(buffer.AsSpan(done));
            Assert.True(n > 0, $"the host socket closed after {done} of {count} bytes");
            done += n;
        }

        return buffer;
    }

    public void Dispose()
    {
        Device.Dispose();
        Memory.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
