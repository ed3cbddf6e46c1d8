namespace SharpVirt.Vmm.Snapshot;

/// <summary>Why a snapshot could not be taken or restored.</summary>
public enum SnapshotErrorKind
{
    /// <summary>A file is missing or cannot be read or written.</summary>
    Io,
    /// <summary>The file is not a SharpVirt snapshot.</summary>
    NotASnapshot,
    /// <summary>A snapshot of another format version.</summary>
    Version,
    /// <summary>Truncated, or its checksum or contents do not match.</summary>
    Corrupt,
}

/// <summary>A snapshot that could not be written or read; the message names the file and the reason.</summary>
public sealed class SnapshotException(SnapshotErrorKind kind, string message) : Exception(message)
{
    /// <summary>What went wrong.</summary>
    public SnapshotErrorKind Kind { get; } = kind;
}
