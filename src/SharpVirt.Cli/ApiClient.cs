using System.Text;
using SharpVirt.Contracts;

namespace SharpVirt.Cli;

/// <summary>HTTP over an API's Unix socket: a VMM's for the <c>sharpvirt vm</c> verbs, sharpvirtd's for the manager verbs.</summary>
internal sealed class ApiClient : IDisposable
{
    private readonly HttpClient _http;

    /// <summary>
    /// A client of the API on <paramref name="socketPath"/>, given by <paramref name="option"/>; errors ask whether
    /// <paramref name="server"/> runs there.
    /// </summary>
    public ApiClient(string socketPath, string option, string server)
    {
        if (!File.Exists(socketPath))
        {
            throw new ApiClientException($"{option} {socketPath}: no such socket (is {server} running?)");
        }

        _http = UnixSocketHttp.Create(socketPath, TimeSpan.FromMinutes(10),
            e => new ApiClientException($"{option} {socketPath}: {e.Message} (is {server} running?)"));
    }

    /// <summary>A client of the VMM whose API socket is <paramref name="socketPath"/> (<c>--socket</c>).</summary>
    public static ApiClient ForVmm(string socketPath) => new(socketPath, "--socket", $"a VMM with --api-socket {socketPath}");

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
