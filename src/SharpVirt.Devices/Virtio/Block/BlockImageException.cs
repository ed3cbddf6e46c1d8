namespace SharpVirt.Devices.Virtio.Block;

/// <summary>Why a disk image could not be opened.</summary>
public enum BlockImageErrorKind
{
    /// <summary>The file (or a directory on its path) does not exist.</summary>
    NotFound,

    /// <summary>The process may not open the file with the requested access (permissions, or the path is a directory).</summary>
    AccessDenied,

    /// <summary>The file could not be opened or locked: another process (or device) holds it, or an I/O error occurred.</summary>
    Unavailable,
}

/// <summary>A disk image could not be opened for a <see cref="VirtioBlock"/>. The message names the path.</summary>
public sealed class BlockImageException : IOException
{
    /// <summary>Creates the exception.</summary>
    public BlockImageException(BlockImageErrorKind kind, string path, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        ImagePath = path;
    }

    /// <summary>What went wrong.</summary>
    public BlockImageErrorKind Kind { get; }

    /// <summary>The path of the image that could not be opened.</summary>
    public string ImagePath { get; }
}
