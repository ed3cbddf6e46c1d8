using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SharpVirt.Api.Endpoints;
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
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders(); // the terminal belongs to the guest's console
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = MaxBodyBytes;
            kestrel.AddServerHeader = false;
            kestrel.ListenUnixSocket(socketPath);
        });
        var app = builder.Build();
        MapRoutes(app, controller);
        if (File.Exists(socketPath))
        {
            File.Delete(socketPath);
        }

        try
        {
            await app.StartAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or UnauthorizedAccessException)
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
        OpenApiEndpoints.Map(routes);
        routes.MapFallback(context => Exchange.WriteError(context, StatusCodes.Status404NotFound, null,
            $"no resource {context.Request.Method} {context.Request.Path} (GET /openapi.yaml lists them)"));
    }

    /// <summary>Stops listening and removes the socket file.</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        File.Delete(SocketPath);
    }
}
