using Microsoft.Win32.SafeHandles;
using SharpVirt.Memory;

namespace SharpVirt.Vmm.Snapshot;

/// <summary>
/// Guest RAM in a snapshot directory (<c>DIR/memory</c>): the regions one after another, each at a page-aligned
/// offset, written sparsely (pages of zeros are left as holes, so the file takes the space the guest uses). A restore
/// maps it copy-on-write (MAP_PRIVATE): pages are read from the file when the guest first touches them.
/// </summary>
public static class MemoryFile
{
    /// <summary>The memory file's name in a snapshot directory.</summary>
    public const string Name = "memory";

    private const int Chunk = 1024 * 1024;

    /// <summary>The layout a memory file of <paramref name="memory"/> has.</summary>
    public static IReadOnlyList<MemoryRange> Layout(GuestMemory memory)
    {
        var ranges = new List<MemoryRange>(memory.Regions.Count);
        long offset = 0;
        foreach (var r in memory.Regions)
        {
            ranges.Add(new MemoryRange(r.Start, r.Size, offset));
            offset += (long)r.Size;
        }

        return ranges;
    }

    /// <summary>Writes every non-zero page of <paramref name="memory"/> (the guest is paused); returns the bytes written.</summary>
    public static long Write(string directory, GuestMemory memory)
    {
        var path = Path.Combine(directory, Name);
        var temporary = path + ".tmp";
        long written = 0;
        try
        {
            using (var file = File.OpenHandle(temporary, FileMode.Create, FileAccess.Write))
            {
                var layout = Layout(memory);
                RandomAccess.SetLength(file, layout[^1].FileOffset + (long)layout[^1].Size);
                foreach (var range in layout)
                {
                    written += WriteRange(file, memory, range);
                }

                RandomAccess.FlushToDisk(file);
            }

            File.Move(temporary, path, overwrite: true);
            return written;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SnapshotException(SnapshotErrorKind.Io, $"{path}: {e.Message}");
        }
    }

    /// <summary>Opens <c>directory/memory</c> for a restore and checks its length against the layout.</summary>
    public static SafeFileHandle Open(string directory, IReadOnlyList<MemoryRange> layout)
    {
        var path = Path.Combine(directory, Name);
        SafeFileHandle file;
        try
        {
            file = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        }
        catch (FileNotFoundException)
        {
            throw new SnapshotException(SnapshotErrorKind.Io, $"{path}: no such file: the snapshot has no memory file");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SnapshotException(SnapshotErrorKind.Io, $"{path}: {e.Message}");
        }

        var expected = layout.Count == 0 ? 0 : layout[^1].FileOffset + (long)layout[^1].Size;
        var length = RandomAccess.GetLength(file);
        if (length != expected)
        {
            file.Dispose();
            throw new SnapshotException(SnapshotErrorKind.Corrupt,
                $"{path}: {length} bytes, but the snapshot's guest memory is {expected} bytes (truncated or from another snapshot)");
        }

        return file;
    }

    /// <summary>The guest ranges the memory file holds data for (its holes are left out), page-aligned.</summary>
    public static IReadOnlyList<(ulong Address, ulong Length)> DataExtents(SafeFileHandle file, IReadOnlyList<MemoryRange> layout)
    {
        var extents = new List<(ulong, ulong)>();
        foreach (var range in layout)
        {
            var end = range.FileOffset + (long)range.Size;
            var at = range.FileOffset;
            while (at < end)
            {
                var data = SharpVirt.Interop.LibC.lseek(file, at, SharpVirt.Interop.LibC.SEEK_DATA);
                if (data < 0 || data >= end)
                {
                    break; // ENXIO: no more data
                }

                var hole = Math.Min(end, SharpVirt.Interop.LibC.lseek(file, data, SharpVirt.Interop.LibC.SEEK_HOLE) is var h && h < 0 ? end : h);
                var start = data & ~((long)GuestMemory.PageSize - 1);
                var stop = (hole + (long)GuestMemory.PageSize - 1) & ~((long)GuestMemory.PageSize - 1);
                extents.Add((range.Start + (ulong)(start - range.FileOffset), (ulong)(Math.Min(stop, end) - start)));
                at = hole;
            }
        }

        return extents;
    }

    private static long WriteRange(SafeFileHandle file, GuestMemory memory, MemoryRange range)
    {
        long written = 0;
        for (ulong at = 0; at < range.Size; at += Chunk)
        {
            var length = (int)Math.Min(Chunk, range.Size - at);
            var bytes = memory.GetSpan(range.Start + at, length);
            // Zero chunks stay holes; the rest is written page by page, skipping zero pages.
            if (!bytes.ContainsAnyExcept((byte)0))
            {
                continue;
            }

            // Runs of non-zero pages go out in one write each.
            const int Page = (int)GuestMemory.PageSize;
            var run = -1;
            for (var page = 0; page <= length; page += Page)
            {
                var zero = page == length || !bytes.Slice(page, Page).ContainsAnyExcept((byte)0);
                if (!zero && run < 0)
                {
                    run = page;
                }
                else if (zero && run >= 0)
                {
                    RandomAccess.Write(file, bytes[run..page], range.FileOffset + (long)at + run);
                    written += page - run;
                    run = -1;
                }
            }
        }

        return written;
    }
}
