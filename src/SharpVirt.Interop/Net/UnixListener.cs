using System.Net.Sockets;

namespace SharpVirt.Interop.Net;

/// <summary>
/// A non-blocking Unix stream socket listening at a path the VMM owns: a stale socket file left there by a process
/// that died is replaced (callers have already refused a path a live process listens on), and the file is removed
/// when the listener is disposed, unless another process has bound the path since (a VMM this guest migrated to).
/// </summary>
public sealed class UnixListener : IDisposable
{
    /// <summary>Listens at <paramref name="path"/> with room for <paramref name="backlog"/> waiting connections.</summary>
    /// <exception cref="SocketException">The socket cannot be created or bound there.</exception>
    public UnixListener(string path, int backlog)
    {
        Path = path;
        if (FileKind.IsSocket(path))
        {
            File.Delete(path);
        }

        Socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { Blocking = false };
        try
        {
            Socket.Bind(new UnixDomainSocketEndPoint(path));
            Socket.Listen(backlog);
            _identity = FileKind.Identity(path);
        }
        catch
        {
            Socket.Dispose();
            throw;
        }
    }

    private readonly (ulong Device, ulong Inode)? _identity;

    /// <summary>The socket's path.</summary>
    public string Path { get; }

    /// <summary>The listening socket (its handle goes into an epoll set).</summary>
    public Socket Socket { get; }

    /// <summary>Closes the socket and removes its file.</summary>
    public void Dispose()
    {
        Socket.Dispose();
        if (_identity is null || FileKind.Identity(Path) != _identity)
        {
            return; // the file there is not ours any more
        }

        try
        {
            File.Delete(Path);
        }
        catch (IOException)
        {
            // Gone already, or its directory went away: nothing to clean.
        }
    }
}
