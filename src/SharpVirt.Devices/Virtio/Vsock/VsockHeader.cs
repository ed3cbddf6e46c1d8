using System.Buffers.Binary;

namespace SharpVirt.Devices.Virtio.Vsock;

/// <summary>virtio-vsock packet operations (virtio 1.2, section 5.10.6).</summary>
internal static class VsockOp
{
    internal const ushort Request = 1;
    internal const ushort Response = 2;
    internal const ushort Rst = 3;
    internal const ushort Shutdown = 4;
    internal const ushort Rw = 5;
    internal const ushort CreditUpdate = 6;
    internal const ushort CreditRequest = 7;

    /// <summary>VIRTIO_VSOCK_TYPE_STREAM, the only socket type offered.</summary>
    internal const ushort TypeStream = 1;

    /// <summary>SHUTDOWN flag: the sender will receive no more.</summary>
    internal const uint ShutdownReceive = 1;

    /// <summary>SHUTDOWN flag: the sender will send no more.</summary>
    internal const uint ShutdownSend = 2;

    /// <summary>The host's context id (VMADDR_CID_HOST).</summary>
    internal const ulong HostCid = 2;
}

/// <summary>struct virtio_vsock_hdr: 44 little-endian bytes in front of every packet, copied out of guest memory once.</summary>
internal readonly record struct VsockHeader(
    ulong SrcCid, ulong DstCid, uint SrcPort, uint DstPort, uint Length, ushort Type, ushort Op, uint Flags, uint BufAlloc, uint FwdCnt)
{
    /// <summary>The header's size.</summary>
    internal const int Size = 44;

    internal static VsockHeader Read(ReadOnlySpan<byte> b) => new(
        BinaryPrimitives.ReadUInt64LittleEndian(b),
        BinaryPrimitives.ReadUInt64LittleEndian(b[8..]),
        BinaryPrimitives.ReadUInt32LittleEndian(b[16..]),
        BinaryPrimitives.ReadUInt32LittleEndian(b[20..]),
        BinaryPrimitives.ReadUInt32LittleEndian(b[24..]),
        BinaryPrimitives.ReadUInt16LittleEndian(b[28..]),
        BinaryPrimitives.ReadUInt16LittleEndian(b[30..]),
        BinaryPrimitives.ReadUInt32LittleEndian(b[32..]),
        BinaryPrimitives.ReadUInt32LittleEndian(b[36..]),
        BinaryPrimitives.ReadUInt32LittleEndian(b[40..]));

    internal void Write(Span<byte> b)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(b, SrcCid);
        BinaryPrimitives.WriteUInt64LittleEndian(b[8..], DstCid);
        BinaryPrimitives.WriteUInt32LittleEndian(b[16..], SrcPort);
        BinaryPrimitives.WriteUInt32LittleEndian(b[20..], DstPort);
        BinaryPrimitives.WriteUInt32LittleEndian(b[24..], Length);
        BinaryPrimitives.WriteUInt16LittleEndian(b[28..], Type);
        BinaryPrimitives.WriteUInt16LittleEndian(b[30..], Op);
        BinaryPrimitives.WriteUInt32LittleEndian(b[32..], Flags);
        BinaryPrimitives.WriteUInt32LittleEndian(b[36..], BufAlloc);
        BinaryPrimitives.WriteUInt32LittleEndian(b[40..], FwdCnt);
    }
}
