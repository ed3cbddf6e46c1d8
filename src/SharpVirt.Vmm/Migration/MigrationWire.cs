using System.Buffers.Binary;
using System.Text;

namespace SharpVirt.Vmm.Migration;

/// <summary>The messages of the migration stream (see <see cref="MigrationWire"/>).</summary>
internal enum MessageKind : byte
{
    /// <summary>Source → destination: the VM's configuration (JSON), before any memory.</summary>
    Begin = 1,
    /// <summary>Destination → source: the configuration is accepted and its memory made.</summary>
    Accept = 2,
    /// <summary>Source → destination: a guest address (8 bytes) and whole pages of memory from there.</summary>
    Pages = 3,
    /// <summary>Source → destination: a guest address and a length (8 bytes each) that are zeros now.</summary>
    Zeros = 4,
    /// <summary>Source → destination: the paused VM's state (the snapshot state's JSON).</summary>
    State = 5,
    /// <summary>Destination → source: memory and state are complete and check out.</summary>
    Ready = 6,
    /// <summary>Source → destination: the source has let go of disks and taps; build the VM (its vCPUs not run yet).</summary>
    Go = 7,
    /// <summary>Destination → source: the VM is built with every device open; it runs on Commit.</summary>
    Built = 8,
    /// <summary>Source → destination: the source has stopped for good; run the guest.</summary>
    Commit = 9,
    /// <summary>Either way: the sender gives up, with why (UTF-8).</summary>
    Error = 10,
}

/// <summary>
/// The live-migration stream over one TCP connection: the magic "SVMIGRAT" and a version (u32), then messages, each a
/// kind byte, a payload length (u64, little-endian) and the payload. The source sends Begin, then Pages and Zeros
/// while the guest runs, then (the guest paused) the last pages and State; the destination answers Accept after
/// Begin and Ready after State. The source then lets go of its disks and taps and sends Go; the destination opens
/// them, builds the VM and answers Built; the source sends Commit and ends, and only then does the destination run the
/// guest, so the guest never runs in both places. Either side may send Error instead and close; until Commit the
/// source keeps (or takes back) everything and its guest runs on.
/// </summary>
internal static class MigrationWire
{
    /// <summary>The stream's first bytes.</summary>
    public static ReadOnlySpan<byte> Magic => "SVMIGRAT"u8;

    /// <summary>The stream format's version.</summary>
    public const uint Version = 1;

    /// <summary>The largest Begin, State or Error payload a destination reads (its state is a few hundred KiB).</summary>
    public const long MaxDocument = 64 << 20;

    /// <summary>The most memory one Pages message carries.</summary>
    public const int MaxPagesBytes = 4 << 20;

    public static void WriteHeader(Stream stream)
    {
        Span<byte> header = stackalloc byte[12];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], Version);
        stream.Write(header);
    }

    /// <summary>Reads the header; throws <see cref="MigrationException"/> for a stream that is not ours or another version.</summary>
    public static void ReadHeader(Stream stream)
    {
        Span<byte> header = stackalloc byte[12];
        ReadExactly(stream, header);
        if (!header[..8].SequenceEqual(Magic))
        {
            throw new MigrationException("the peer is not a SharpVirt migration stream");
        }

        var version = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
        if (version != Version)
        {
            throw new MigrationException($"the peer speaks migration format {version}; this VMM speaks {Version}");
        }
    }

    public static void Write(Stream stream, MessageKind kind, ReadOnlySpan<byte> payload)
    {
        WriteFrame(stream, kind, payload.Length);
        stream.Write(payload);
    }

    public static void WriteText(Stream stream, MessageKind kind, string text) => Write(stream, kind, Encoding.UTF8.GetBytes(text));

    /// <summary>Pages message: <paramref name="pages"/> (whole pages) that sit at guest <paramref name="address"/>.</summary>
    public static void WritePages(Stream stream, ulong address, ReadOnlySpan<byte> pages)
    {
        WriteFrame(stream, MessageKind.Pages, 8 + pages.Length);
        Span<byte> at = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(at, address);
        stream.Write(at);
        stream.Write(pages);
    }

    public static void WriteZeros(Stream stream, ulong address, ulong length)
    {
        Span<byte> payload = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(payload, address);
        BinaryPrimitives.WriteUInt64LittleEndian(payload[8..], length);
        Write(stream, MessageKind.Zeros, payload);
    }

    /// <summary>Reads a message's kind and payload length.</summary>
    public static (MessageKind Kind, long Length) ReadFrame(Stream stream)
    {
        Span<byte> frame = stackalloc byte[9];
        ReadExactly(stream, frame);
        var length = BinaryPrimitives.ReadUInt64LittleEndian(frame[1..]);
        if (length > long.MaxValue)
        {
            throw new MigrationException($"a message claims {length} bytes");
        }

        return ((MessageKind)frame[0], (long)length);
    }

    /// <summary>Reads a whole payload of at most <see cref="MaxDocument"/> bytes.</summary>
    public static byte[] ReadDocument(Stream stream, MessageKind kind, long length)
    {
        if (length > MaxDocument)
        {
            throw new MigrationException($"a {kind} message of {length} bytes is over the limit of {MaxDocument}");
        }

        var payload = new byte[length];
        ReadExactly(stream, payload);
        return payload;
    }

    /// <summary>Waits for <paramref name="expected"/>; an Error message becomes a <see cref="MigrationException"/> with its text.</summary>
    public static byte[] Expect(Stream stream, MessageKind expected, string peer)
    {
        var (kind, length) = ReadFrame(stream);
        var payload = ReadDocument(stream, kind, length);
        return kind == expected
            ? payload
            : kind == MessageKind.Error
                ? throw new MigrationException($"the {peer} refused: {Encoding.UTF8.GetString(payload)}")
                : throw new MigrationException($"the {peer} sent {kind} where {expected} was due");
    }

    /// <summary>Fills <paramref name="into"/>; the peer closing first is a <see cref="MigrationException"/>.</summary>
    public static void ReadExactly(Stream stream, Span<byte> into)
    {
        try
        {
            stream.ReadExactly(into);
        }
        catch (EndOfStreamException)
        {
            throw new MigrationException("the connection closed in the middle of the migration");
        }
    }

    private static void WriteFrame(Stream stream, MessageKind kind, long length)
    {
        Span<byte> frame = stackalloc byte[9];
        frame[0] = (byte)kind;
        BinaryPrimitives.WriteUInt64LittleEndian(frame[1..], (ulong)length);
        stream.Write(frame);
    }
}

/// <summary>A migration failed: the peer's stream, a refusal, a lost connection. The message is for the user.</summary>
public sealed class MigrationException(string message) : Exception(message);
