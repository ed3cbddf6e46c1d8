using System.Net.Sockets;
using System.Text;

namespace SharpVirt.Cli;

/// <summary>HTTP over a VMM's Unix socket, for the <c>sharpvirt vm</c> verbs.</summary>
internal sealed class ApiClient : IDisposable
{
    private readonly HttpClient _http;

    public ApiClient(string socketPath)
    {
        if (!File.Exists(socketPath))
        {
            throw new ApiClientException($"--socket {socketPath}: no such socket (is a VMM running with --api-socket {socketPath}?)");
        }

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
                catch (SocketException e)
                {
                    socket.Dispose();
                    throw new ApiClientException($"--socket {socketPath}: {e.Message} (is a VMM running there?)");
                }
            },
        };
        _http = new HttpClient(handler) { BaseAddress = new Uri("http://localhost"), Timeout = TimeSpan.FromMinutes(10) };
    }

    /// <summary>Sends one request; returns the status and the body text.</summary>
    public (int Status, string Body) Send(HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        try
        {
            using var response = _http.SendAsync(request).GetAwaiter().GetResult();
            return ((int)response.StatusCode, response.Content.ReadAsStringAsync().GetAwaiter().GetResult());
        }
        catch (HttpRequestException e) when (e.InnerException is ApiClientException inner)
        {
            throw inner;
        }
        catch (HttpRequestException e)
        {
            throw new ApiClientException(e.Message);
        }
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>The VMM could not be reached or did not answer.</summary>
internal sealed class ApiClientException(string message) : Exception(message);
