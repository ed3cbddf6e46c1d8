using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using SharpVirt.Contracts;
using SharpVirt.Contracts.Api;
using SharpVirt.Http;
using SharpVirt.Vmm.Control;

namespace SharpVirt.Api;

/// <summary>
/// The VMM API's side of <see cref="JsonExchange"/>: the contracts' JSON, and the single mapping from a controller's
/// refusal to an HTTP status (400 bad input, 404 unknown thing, 409 wrong state, 500 host).
/// </summary>
internal static class Exchange
{
    private static readonly ContractsJsonContext Json = new(JsonExchange.Relaxed(ContractsJsonContext.Default.Options));

    /// <summary>Runs <paramref name="handler"/>; a refusal becomes its status and an <see cref="ApiError"/>.</summary>
    public static Task Handle(HttpContext context, Func<Task> handler) => JsonExchange.Handle(context, handler, e => e is VmmControlException c
        ? new JsonExchange.Refusal(c.Kind switch
        {
            VmmControlErrorKind.BadRequest => StatusCodes.Status400BadRequest,
            VmmControlErrorKind.NotFound => StatusCodes.Status404NotFound,
            VmmControlErrorKind.WrongState => StatusCodes.Status409Conflict,
            _ => StatusCodes.Status500InternalServerError,
        }, c.Field, c.Reason)
        : null);

    /// <summary>Reads the body (at most <see cref="ApiServer.MaxBodyBytes"/>) and parses it strictly as <typeparamref name="T"/>.</summary>
    public static Task<T> ReadBody<T>(HttpContext context, JsonTypeInfo<T> type)
        where T : class => JsonExchange.ReadBody(context, type);

    /// <summary>The path parameter <paramref name="name"/>.</summary>
    public static string Route(HttpContext context, string name) => JsonExchange.Route(context, name);

    /// <summary><paramref name="status"/> (200 unless given) with <paramref name="value"/> as JSON.</summary>
    public static Task WriteJson<T>(HttpContext context, T value, JsonTypeInfo<T> type, int status = StatusCodes.Status200OK) =>
        JsonExchange.WriteJson(context, value, Json, status);

    /// <summary>204: done, nothing to say.</summary>
    public static Task NoContent(HttpContext context) => JsonExchange.NoContent(context);

    /// <summary>An error status with an <see cref="ApiError"/> body.</summary>
    public static Task WriteError(HttpContext context, int status, string? field, string reason) =>
        JsonExchange.WriteError(context, status, field, reason);
}
