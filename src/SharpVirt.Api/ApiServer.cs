using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SharpVirt.Api.Endpoints;
using SharpVirt.Http;
using SharpVirt.Vmm.Control;

namespace SharpVirt.Api;

/// <summary>
/// The VMM's REST API: Kestrel on a Unix socket (as Firecracker's and Cloud Hypervisor's), one endpoint file per
/// resource. Handlers only parse, post a command to the <see cref="VmmController"/> and write its answer.
/// </summary>
public sealed class ApiServer : IAsyncDisposable
{
    /// <summary>The largest request body accepted (a whole VM config is a few KiB).</summary>
    public const int MaxBodyBytes = 64 * 1024;

    private readonly WebApplication _app;

    private ApiServer(WebApplication app, string socketPath)
    {
        _app = app;
        SocketPath = socketPath;
    }

    /// <summary>The socket the API listens on.</summary>
    public string SocketPath { get; }

    /// <summary>Listens on <paramref name="socketPath"/> (a stale socket file there is replaced) and serves.</summary>
    /// <exception cref="IOException">The socket cannot be created (the message names the path).</exception>
    public static async Task<ApiServer> StartAsync(string socketPath, VmmController controller)
    {
        var builder = UnixSocketApi.CreateBuilder(socketPath, MaxBodyBytes); // no logging: the terminal belongs to the guest's console
        var app = builder.Build();
        MapRoutes(app, controller);
        try
        {
            await UnixSocketApi.Start(app, socketPath).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new IOException($"--api-socket {socketPath}: {e.Message}", e);
        }

        return new ApiServer(app, socketPath);
    }

    /// <summary>Every route of the API, on <paramref name="routes"/> (also used by the OpenAPI test).</summary>
    public static void MapRoutes(WebApplication routes, VmmController controller)
    {
        InstanceEndpoints.Map(routes, controller);
        MachineConfigEndpoints.Map(routes, controller);
        BootSourceEndpoints.Map(routes, controller);
        DriveEndpoints.Map(routes, controller);
        NetworkInterfaceEndpoints.Map(routes, controller);
        BalloonEndpoints.Map(routes, controller);
        DeviceEndpoints.Map(routes, controller);
        ActionEndpoints.Map(routes, controller);
        SnapshotEndpoints.Map(routes, controller);
        MigrationEndpoints.Map(routes, controller);
        MetricsEndpoints.Map(routes, controller);
        UnixSocketApi.MapDocumentAndFallback(routes, OpenApiDocument.Text);
    }

    /// <summary>Stops listening and removes the socket file.</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        File.Delete(SocketPath);
    }
}
