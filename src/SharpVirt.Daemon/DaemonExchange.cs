using Microsoft.AspNetCore.Http;
using SharpVirt.Contracts.Manager;
using SharpVirt.Http;
using SharpVirt.Manager;

namespace SharpVirt.Daemon;

/// <summary>
/// The daemon's side of <see cref="JsonExchange"/>: the manager's JSON, and the one mapping from a manager refusal to
/// an HTTP status (400 bad input, 404 no such VM, 409 wrong state, 500 host).
/// </summary>
internal static class DaemonExchange
{
    /// <summary>The largest request body accepted (a VM definition is a few KiB).</summary>
    public const int MaxBodyBytes = 256 * 1024;

    private static readonly ManagerJsonContext Json = new(JsonExchange.Relaxed(ManagerJsonContext.Default.Options));

    /// <summary>Runs <paramref name="handler"/>; a refusal becomes its status and an error body.</summary>
    public static Task Handle(HttpContext context, Func<Task> handler) => JsonExchange.Handle(context, handler, e => e is ManagerException m
        ? new JsonExchange.Refusal(m.Kind switch
        {
            ManagerErrorKind.BadRequest => StatusCodes.Status400BadRequest,
            ManagerErrorKind.NotFound => StatusCodes.Status404NotFound,
            ManagerErrorKind.Conflict => StatusCodes.Status409Conflict,
            _ => StatusCodes.Status500InternalServerError,
        }, m.Field, m.Reason)
        : null);

    /// <summary><paramref name="status"/> (200 unless given) with <paramref name="value"/> as JSON.</summary>
    public static Task WriteJson<T>(HttpContext context, T value, int status = StatusCodes.Status200OK) =>
        JsonExchange.WriteJson(context, value, Json, status);
}
