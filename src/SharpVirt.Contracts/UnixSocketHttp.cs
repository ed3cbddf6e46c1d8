using System.Net.Sockets;

namespace SharpVirt.Contracts;

/// <summary>HTTP over a Unix socket: the transport of the VMM's API and of sharpvirtd's, for every client of them.</summary>
public static class UnixSocketHttp
{
    /// <summary>
    /// A client whose every connection goes to <paramref name="socketPath"/>; a failed connect becomes what
    /// <paramref name="connectFailed"/> makes of it (as the inner exception of an <see cref="HttpRequestException"/>).
    /// </summary>
    public static HttpClient Create(string socketPath, TimeSpan timeout, Func<SocketException, Exception>? connectFailed = null)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, token) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), token).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch (SocketException e) when (connectFailed is not null)
                {
                    socket.Dispose();
                    throw connectFailed(e);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = new Uri("http://localhost"), Timeout = timeout };
    }
}
