using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace SharpVirt.Http;

/// <summary>
/// What every SharpVirt REST API server does alike: Kestrel on one Unix socket, its OpenAPI document at
/// <c>GET /openapi.yaml</c>, and a JSON 404 for any other route.
/// </summary>
public static class UnixSocketApi
{
    /// <summary>A slim builder whose server listens on <paramref name="socketPath"/> only, bodies up to <paramref name="maxBodyBytes"/>.</summary>
    public static WebApplicationBuilder CreateBuilder(string socketPath, long maxBodyBytes)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = maxBodyBytes;
            kestrel.AddServerHeader = false;
            kestrel.ListenUnixSocket(socketPath);
        });
        return builder;
    }

    /// <summary>
    /// Starts <paramref name="app"/>, replacing a stale socket file at <paramref name="socketPath"/> (the caller knows
    /// no live server owns it).
    /// </summary>
    /// <exception cref="IOException">The socket cannot be made (the message says why).</exception>
    public static async Task Start(WebApplication app, string socketPath)
    {
        try
        {
            File.Delete(socketPath);
            await app.StartAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or UnauthorizedAccessException)
        {
            throw new IOException(e.Message, e);
        }
    }

    /// <summary><c>GET /openapi.yaml</c> with <paramref name="document"/>, and a 404 naming any route that is not mapped.</summary>
    public static void MapDocumentAndFallback(WebApplication routes, string document)
    {
        routes.MapGet("/openapi.yaml", async context =>
        {
            context.Response.ContentType = "application/yaml";
            await context.Response.WriteAsync(document, context.RequestAborted);
        });
        routes.MapFallback(context => JsonExchange.WriteError(context, StatusCodes.Status404NotFound, null,
            $"no resource {context.Request.Method} {context.Request.Path} (GET /openapi.yaml lists them)"));
    }

    /// <summary>The text of the resource <paramref name="name"/> embedded in <paramref name="assembly"/>.</summary>
    public static string EmbeddedText(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"{name} is not embedded in {assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
