using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;

namespace SharpVirt.Vmm.Snapshot;

/// <summary>
/// The state file of a snapshot directory (<c>DIR/state</c>), version 1:
/// <code>
/// offset  size  field
///      0     8  magic "SVSNAPST"
///      8     4  format version, little-endian u32 (1)
///     12     4  flags, u32 (0)
///     16     8  payload length in bytes, u64
///     24    32  SHA-256 of the payload
///     56     n  payload: a UTF-8 JSON <see cref="VmSnapshot"/>
/// </code>
/// Guest RAM is the separate file <c>DIR/memory</c> (see <see cref="MemoryFile"/>). Both are written to temporary
/// names and renamed into place, so a snapshot is either whole or absent, and a guest restored from a memory file
/// (which maps it) is not disturbed by a new snapshot written to the same directory.
/// </summary>
public static class SnapshotFile
{
    /// <summary>The format version this VMM writes and reads.</summary>
    public const uint FormatVersion = 1;

    /// <summary>The state file's name in a snapshot directory.</summary>
    public const string StateName = "state";

    private const int HeaderSize = 56;
    private const long MaxPayload = 64L << 20;
    private static readonly byte[] Magic = "SVSNAPST"u8.ToArray();

    /// <summary>Writes <paramref name="snapshot"/> to <c>directory/state</c>.</summary>
    public static void Write(string directory, VmSnapshot snapshot)
    {
        var bytes = Encode(snapshot);
        var path = Path.Combine(directory, StateName);
        var temporary = path + ".tmp";
        try
        {
            using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write))
            {
                file.Write(bytes);
                file.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SnapshotException(SnapshotErrorKind.Io, $"{path}: {e.Message}");
        }
    }

    /// <summary>The state file's bytes for <paramref name="snapshot"/> (also what a live migration sends as its state).</summary>
    public static byte[] Encode(VmSnapshot snapshot)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(snapshot, SnapshotJsonContext.Default.VmSnapshot);
        var bytes = new byte[HeaderSize + payload.Length];
        Magic.CopyTo(bytes, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), FormatVersion);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(16), (ulong)payload.Length);
        SHA256.HashData(payload, bytes.AsSpan(24, 32));
        payload.CopyTo(bytes, HeaderSize);
        return bytes;
    }

    /// <summary>Reads and checks <c>directory/state</c>: magic, version, length and checksum, then the JSON.</summary>
    public static VmSnapshot Read(string directory)
    {
        var path = Path.Combine(directory, StateName);
        byte[] bytes;
        try
        {
            if (!Directory.Exists(directory))
            {
                throw new SnapshotException(SnapshotErrorKind.Io, $"{directory}: no such directory");
            }

            if (new FileInfo(path) is { Exists: true, Length: > MaxPayload + HeaderSize })
            {
                throw new SnapshotException(SnapshotErrorKind.Corrupt, $"{path}: {new FileInfo(path).Length} bytes is too big for a state file");
            }

            bytes = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            throw new SnapshotException(SnapshotErrorKind.Io, $"{path}: no such file (is {directory} a snapshot directory?)");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SnapshotException(SnapshotErrorKind.Io, $"{path}: {e.Message}");
        }

        return Parse(bytes, path);
    }

    /// <summary>Checks and decodes state-file bytes; <paramref name="name"/> names the file in errors.</summary>
    public static VmSnapshot Parse(ReadOnlySpan<byte> bytes, string name)
    {
        if (bytes.Length < Magic.Length || !bytes[..Magic.Length].SequenceEqual(Magic))
        {
            throw new SnapshotException(SnapshotErrorKind.NotASnapshot, $"{name}: not a SharpVirt snapshot state file (no SVSNAPST magic)");
        }

        if (bytes.Length < HeaderSize)
        {
            throw new SnapshotException(SnapshotErrorKind.Corrupt, $"{name}: truncated: {bytes.Length} bytes, shorter than the {HeaderSize}-byte header");
        }

        var version = BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]);
        if (version != FormatVersion)
        {
            throw new SnapshotException(SnapshotErrorKind.Version,
                $"{name}: snapshot format version {version}; this sharpvirt ({VmmInfo.Version}) reads version {FormatVersion}");
        }

        var length = BinaryPrimitives.ReadUInt64LittleEndian(bytes[16..]);
        if (length != (ulong)(bytes.Length - HeaderSize))
        {
            throw new SnapshotException(SnapshotErrorKind.Corrupt,
                $"{name}: truncated or padded: the header promises {length} bytes of state, the file holds {bytes.Length - HeaderSize}");
        }

        var payload = bytes[HeaderSize..];
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(payload, hash);
        if (!hash.SequenceEqual(bytes.Slice(24, 32)))
        {
            throw new SnapshotException(SnapshotErrorKind.Corrupt, $"{name}: corrupt: the SHA-256 checksum does not match the state");
        }

        try
        {
            return JsonSerializer.Deserialize(payload, SnapshotJsonContext.Default.VmSnapshot)
                ?? throw new SnapshotException(SnapshotErrorKind.Corrupt, $"{name}: the state is null");
        }
        catch (JsonException e)
        {
            throw new SnapshotException(SnapshotErrorKind.Corrupt, $"{name}: the state does not decode: {e.Message}");
        }
    }
}
