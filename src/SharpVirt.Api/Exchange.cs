using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using SharpVirt.Contracts;
using SharpVirt.Contracts.Api;
using SharpVirt.Vmm.Control;

namespace SharpVirt.Api;

/// <summary>
/// One request's reading and writing: the body parsed strictly into a contract record, the answer as JSON, and the
/// single mapping from a refusal to an HTTP status (400 bad input, 404 unknown thing, 409 wrong state, 500 host).
/// </summary>
internal static class Exchange
{
    /// <summary>The contracts' JSON, written without escaping quotes and apostrophes in messages (the answer is not HTML).</summary>
    private static readonly ContractsJsonContext Json = new(new JsonSerializerOptions(ContractsJsonContext.Default.Options)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    /// <summary>Runs <paramref name="handler"/>; a refusal becomes its status and an <see cref="ApiError"/>.</summary>
    public static async Task Handle(HttpContext context, Func<Task> handler)
    {
        try
        {
            await handler().ConfigureAwait(false);
        }
        catch (VmmControlException e)
        {
            var status = e.Kind switch
            {
                VmmControlErrorKind.BadRequest => StatusCodes.Status400BadRequest,
                VmmControlErrorKind.NotFound => StatusCodes.Status404NotFound,
                VmmControlErrorKind.WrongState => StatusCodes.Status409Conflict,
                _ => StatusCodes.Status500InternalServerError,
            };
            await WriteError(context, status, e.Field, e.Reason).ConfigureAwait(false);
        }
        catch (ConfigException e)
        {
            await WriteError(context, StatusCodes.Status400BadRequest, e.Field, e.Reason).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e)
        {
            await WriteError(context, e.StatusCode, "body", e.Message).ConfigureAwait(false);
        }
    }

    /// <summary>Reads the body (at most <see cref="ApiServer.MaxBodyBytes"/>) and parses it strictly as <typeparamref name="T"/>.</summary>
    public static async Task<T> ReadBody<T>(HttpContext context, JsonTypeInfo<T> type)
        where T : class
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new ConfigException("body", "empty: a JSON object is expected");
        }

        return ConfigFile.Parse(text, "", type);
    }

    /// <summary>The path parameter <paramref name="name"/>.</summary>
    public static string Route(HttpContext context, string name) => context.Request.RouteValues[name] as string ?? "";

    /// <summary><paramref name="status"/> (200 unless given) with <paramref name="value"/> as JSON.</summary>
    public static Task WriteJson<T>(HttpContext context, T value, JsonTypeInfo<T> type, int status = StatusCodes.Status200OK)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(context.Response.Body, value, (JsonTypeInfo<T>)Json.GetTypeInfo(typeof(T))!, context.RequestAborted);
    }

    /// <summary>204: done, nothing to say.</summary>
    public static Task NoContent(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        return Task.CompletedTask;
    }

    /// <summary>An error status with an <see cref="ApiError"/> body.</summary>
    public static Task WriteError(HttpContext context, int status, string? field, string reason)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var error = new ApiError { FaultMessage = field is null ? reason : $"{field}: {reason}", Field = field, Reason = reason };
        return JsonSerializer.SerializeAsync(context.Response.Body, error, Json.ApiError, context.RequestAborted);
    }
}
