using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using SharpVirt.Vmm;
using SharpVirt.Vmm.Control;

namespace SharpVirt.Api.Tests;

/// <summary>A real API server (Kestrel on a Unix socket in a temporary directory) over a real controller, and a client.</summary>
public sealed class ApiHarness : IAsyncDisposable
{
    private readonly HttpClient _http;

    private ApiHarness(string directory, VmmController controller, ApiServer server)
    {
        Directory = directory;
        Controller = controller;
        Server = server;
        var socket = server.SocketPath;
        _http = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (_, token) =>
            {
                var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await s.ConnectAsync(new UnixDomainSocketEndPoint(socket), token);
                return new NetworkStream(s, ownsSocket: true);
            },
        })
        { BaseAddress = new Uri("http://localhost") };
    }

    public string Directory { get; }

    public VmmController Controller { get; }

    public ApiServer Server { get; }

    public static async Task<ApiHarness> StartAsync()
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("sv-api-").FullName;
        var controller = new VmmController("test-vm", new ConsoleBackend(Stream.Null));
        var server = await ApiServer.StartAsync(Path.Combine(directory, "api.sock"), controller);
        return new ApiHarness(directory, controller, server);
    }

    /// <summary>Sends a request; returns the status and the body (parsed when it is JSON).</summary>
    public async Task<(int Status, string Body)> Send(string method, string path, string? body = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var response = await _http.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The "field" and "reason" of an error body.</summary>
    public static (string? Field, string Reason) Error(string body)
    {
        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        var field = root.GetProperty("field").ValueKind == JsonValueKind.Null ? null : root.GetProperty("field").GetString();
        return (field, root.GetProperty("reason").GetString()!);
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await Server.DisposeAsync();
        Controller.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
