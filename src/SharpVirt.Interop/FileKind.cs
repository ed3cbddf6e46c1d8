namespace SharpVirt.Interop;

/// <summary>What kind of file a path names (lstat's st_mode), where .NET only knows files and directories.</summary>
public static unsafe class FileKind
{
    private const int StModeOffset = 24; // struct stat on x86_64: st_dev, st_ino, st_nlink (8 bytes each), st_mode
    private const uint S_IFMT = 0xF000;
    private const uint S_IFSOCK = 0xC000;

    /// <summary>Whether <paramref name="path"/> is a Unix socket (not following a final symlink).</summary>
    public static bool IsSocket(string path)
    {
        var buffer = stackalloc byte[256]; // struct stat is 144 bytes on x86_64
        return LibC.lstat(path, buffer) == 0 && (*(uint*)(buffer + StModeOffset) & S_IFMT) == S_IFSOCK;
    }

    /// <summary>The (device, inode) pair <paramref name="path"/> names now, or null if nothing is there.</summary>
    public static (ulong Device, ulong Inode)? Identity(string path)
    {
        var buffer = stackalloc byte[256];
        return LibC.lstat(path, buffer) == 0 ? (*(ulong*)buffer, *(ulong*)(buffer + 8)) : null;
    }
}
