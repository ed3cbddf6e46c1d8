using Microsoft.Win32.SafeHandles;
using SharpVirt.Interop;

namespace SharpVirt.Devices.Virtio.Block;

/// <summary>
/// A raw disk image file opened for one device: read-write images are locked exclusively (two VMs must not
/// write the same image), read-only ones shared. Only whole 512-byte sectors are exposed.
/// </summary>
internal sealed class BlockImage : IDisposable
{
    /// <summary>The virtio-blk sector size; sector numbers in requests always count 512-byte units.</summary>
    internal const int SectorSize = 512;

    private readonly SafeFileHandle _handle;

    private BlockImage(SafeFileHandle handle, string path, bool readOnly, ulong capacitySectors)
    {
        _handle = handle;
        Path = path;
        ReadOnly = readOnly;
        CapacitySectors = capacitySectors;
    }

    internal string Path { get; }

    internal bool ReadOnly { get; }

    /// <summary>Number of whole 512-byte sectors (a trailing partial sector is not exposed).</summary>
    internal ulong CapacitySectors { get; }

    /// <summary>Opens <paramref name="path"/>; throws <see cref="BlockImageException"/> naming the path on failure.</summary>
    internal static BlockImage Open(string path, bool readOnly)
    {
        var access = readOnly ? FileAccess.Read : FileAccess.ReadWrite;
        var share = readOnly ? FileShare.Read : FileShare.None;
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, access, share);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new BlockImageException(BlockImageErrorKind.NotFound, path, $"Disk image '{path}' does not exist.", e);
        }
        catch (UnauthorizedAccessException e)
        {
            var mode = readOnly ? "reading" : "reading and writing";
            throw new BlockImageException(BlockImageErrorKind.AccessDenied, path,
                $"Disk image '{path}' cannot be opened for {mode}: access denied ({e.Message}).", e);
        }
        catch (IOException e)
        {
            throw new BlockImageException(BlockImageErrorKind.Unavailable, path,
                $"Disk image '{path}' cannot be opened (is another VM using it?): {e.Message}", e);
        }

        try
        {
            var length = RandomAccess.GetLength(handle);
            return new BlockImage(handle, path, readOnly, (ulong)length / SectorSize);
        }
        catch (IOException e)
        {
            handle.Dispose();
            throw new BlockImageException(BlockImageErrorKind.Unavailable, path, $"Disk image '{path}': cannot read its size: {e.Message}", e);
        }
    }

    /// <summary>Whether <paramref name="bytes"/> bytes starting at <paramref name="sector"/> lie inside an image of <paramref name="capacitySectors"/>.</summary>
    internal static bool Contains(ulong capacitySectors, ulong sector, ulong bytes)
    {
        if (sector > capacitySectors)
        {
            return false;
        }

        var sectors = (bytes / SectorSize) + (bytes % SectorSize == 0 ? 0UL : 1UL);
        return sectors <= capacitySectors - sector;
    }

    /// <summary>
    /// Drops the exclusive lock of a read-write image (the handle stays open), so another VMM may open it; a read-only
    /// image's shared lock lets that already. Null, or why not.
    /// </summary>
    internal string? Unlock() =>
        ReadOnly || LibC.flock(_handle, LibC.LOCK_UN) == 0 ? null : $"cannot unlock disk image '{Path}': {Errno.Describe(Errno.Last)}";

    /// <summary>Takes the exclusive lock again after <see cref="Unlock"/>, without waiting; null, or why not.</summary>
    internal string? Relock() =>
        ReadOnly || LibC.flock(_handle, LibC.LOCK_EX | LibC.LOCK_NB) == 0
            ? null
            : $"cannot lock disk image '{Path}' again (is another VM using it?): {Errno.Describe(Errno.Last)}";

    internal void Write(ReadOnlySpan<byte> buffer, long offset) => RandomAccess.Write(_handle, buffer, offset);

    /// <summary>
    /// Reads into host ranges (guest memory) at <paramref name="offset"/>; returns the bytes read, or -1 when
    /// <paramref name="noWait"/> is set and the data is not all in the page cache (RWF_NOWAIT: nothing blocks).
    /// </summary>
    internal unsafe long ReadVector(ReadOnlySpan<IoVec> ranges, long offset, bool noWait)
    {
        fixed (IoVec* iov = ranges)
        {
            var n = LibC.preadv2(_handle, iov, ranges.Length, offset, noWait ? LibC.RWF_NOWAIT : 0);
            if (n >= 0)
            {
                return n;
            }

            var errno = Errno.Last;
            return noWait && errno is Errno.EAGAIN or Errno.EOPNOTSUPP
                ? -1
                : throw new IOException($"Disk image '{Path}': preadv2 at byte {offset}: {Errno.Describe(errno)}");
        }
    }

    /// <summary>Writes host ranges (guest memory) at <paramref name="offset"/>; returns the bytes written.</summary>
    internal unsafe long WriteVector(ReadOnlySpan<IoVec> ranges, long offset)
    {
        fixed (IoVec* iov = ranges)
        {
            var n = LibC.pwritev2(_handle, iov, ranges.Length, offset, 0);
            return n >= 0 ? n : throw new IOException($"Disk image '{Path}': pwritev2 at byte {offset}: {Errno.Describe(Errno.Last)}");
        }
    }

    /// <summary>
    /// Makes [<paramref name="offset"/>, +<paramref name="length"/>) read as zeros. With <paramref name="deallocate"/> the
    /// blocks are freed (a hole, FALLOC_FL_PUNCH_HOLE); otherwise they stay allocated (FALLOC_FL_ZERO_RANGE). Where the
    /// file system supports neither, zeros are written.
    /// </summary>
    internal void Zero(long offset, long length, bool deallocate, byte[] scratch)
    {
        var mode = deallocate ? LibC.FALLOC_FL_PUNCH_HOLE | LibC.FALLOC_FL_KEEP_SIZE : LibC.FALLOC_FL_ZERO_RANGE | LibC.FALLOC_FL_KEEP_SIZE;
        if (LibC.fallocate(_handle, mode, offset, length) == 0)
        {
            return;
        }

        var errno = Errno.Last;
        if (errno is not (Errno.EOPNOTSUPP or Errno.ENOSYS or Errno.EINVAL))
        {
            throw new IOException($"Disk image '{Path}': fallocate at byte {offset}: {Errno.Describe(errno)}");
        }

        Array.Clear(scratch);
        for (var done = 0L; done < length;)
        {
            var count = (int)Math.Min(scratch.Length, length - done);
            Write(scratch.AsSpan(0, count), checked(offset + done));
            done += count;
        }
    }

    /// <summary>Makes every completed write durable (fdatasync), so an acknowledged flush survives a host crash.</summary>
    internal void Flush()
    {
        if (LibC.fdatasync(_handle) != 0)
        {
            throw new IOException($"Disk image '{Path}': fdatasync: {Errno.Describe(Errno.Last)}");
        }
    }

    public void Dispose() => _handle.Dispose();
}
