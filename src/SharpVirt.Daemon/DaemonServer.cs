using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SharpVirt.Daemon.Endpoints;
using SharpVirt.Http;
using SharpVirt.Manager;
using SharpVirt.Manager.Store;
using SharpVirt.Manager.Supervision;

namespace SharpVirt.Daemon;

/// <summary>
/// sharpvirtd: the manager behind a REST API on a Unix socket that only root and the socket's group may open (mode
/// 0660, as libvirt's). One daemon per state directory: a second one is refused while the first holds its lock.
/// </summary>
public sealed class DaemonServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ManagerService _manager;
    private readonly FileStream _lock;

    private DaemonServer(WebApplication app, ManagerService manager, FileStream stateLock, string socketPath)
    {
        _app = app;
        _manager = manager;
        _lock = stateLock;
        SocketPath = socketPath;
    }

    /// <summary>The socket the API listens on.</summary>
    public string SocketPath { get; }

    /// <summary>The manager behind the API.</summary>
    public ManagerService Manager => _manager;

    /// <summary>
    /// Takes the state directory, opens the database, re-attaches to running VMMs, autostarts, then listens.
    /// </summary>
    /// <exception cref="ManagerException">The state cannot be opened, another daemon holds it, or the socket cannot be made.</exception>
    public static async Task<DaemonServer> StartAsync(DaemonOptions options)
    {
        var paths = options.Paths;
        var stateLock = TakeLock(paths);
        var builder = UnixSocketApi.CreateBuilder(options.SocketPath, DaemonExchange.MaxBodyBytes);
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-dd HH:mm:ss ";
        });
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        var app = builder.Build();
        ManagerService? manager = null;
        try
        {
            var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("sharpvirtd");
            manager = await ManagerService.Open(SqliteManagerStore.Open(paths.Database), options.CheckConfig,
                new VmmLauncher(options.VmmBinary, paths), paths, log).ConfigureAwait(false);
            MapRoutes(app, manager);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(options.SocketPath))!);
            await UnixSocketApi.Start(app, options.SocketPath).ConfigureAwait(false); // the lock says no other daemon owns it
            File.SetUnixFileMode(options.SocketPath,
                UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);
            return new DaemonServer(app, manager, stateLock, options.SocketPath);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or UnauthorizedAccessException)
        {
            await Abandon(app, manager, stateLock).ConfigureAwait(false);
            throw new ManagerException(ManagerErrorKind.Host, "--socket", $"{options.SocketPath}: {e.Message}");
        }
        catch
        {
            await Abandon(app, manager, stateLock).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Every route of the daemon's API (also used by the OpenAPI test).</summary>
    public static void MapRoutes(WebApplication routes, ManagerService manager)
    {
        VmEndpoints.Map(routes, manager);
        UnixSocketApi.MapDocumentAndFallback(routes, DaemonOpenApi.Text);
    }

    /// <summary>The lock file that keeps a second daemon off the same state (.NET locks FileShare.None with flock).</summary>
    private static FileStream TakeLock(ManagerPaths paths)
    {
        var path = Path.Combine(paths.StateDirectory, "sharpvirtd.lock");
        try
        {
            Directory.CreateDirectory(paths.StateDirectory);
            Directory.CreateDirectory(paths.RunDirectory);
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (File.Exists(path))
        {
            throw new ManagerException(ManagerErrorKind.Conflict, "--state-dir",
                $"{paths.StateDirectory} is in use by another sharpvirtd ({e.Message})");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ManagerException(ManagerErrorKind.Host, "--state-dir", $"{paths.StateDirectory}: {e.Message}");
        }
    }

    private static async Task Abandon(WebApplication app, ManagerService? manager, FileStream stateLock)
    {
        await app.DisposeAsync().ConfigureAwait(false);
        manager?.Dispose();
        await stateLock.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Stops serving and removes the socket; the VMs keep running, and the next daemon re-attaches to them.</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _manager.Dispose();
        File.Delete(SocketPath);
        await _lock.DisposeAsync().ConfigureAwait(false);
    }
}
