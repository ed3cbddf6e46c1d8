using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using SharpVirt.Contracts;
using SharpVirt.Contracts.Api;

namespace SharpVirt.Http;

/// <summary>
/// One request's reading and writing, for every SharpVirt API: the body parsed strictly into a contract record, the
/// answer as JSON, and a refusal as its status with an <see cref="ApiError"/> naming the field.
/// </summary>
public static class JsonExchange
{
    private static readonly ContractsJsonContext ErrorJson = new(Relaxed(ContractsJsonContext.Default.Options));

    /// <summary>A refusal: the HTTP status, the field at fault and why.</summary>
    public readonly record struct Refusal(int Status, string? Field, string Reason);

    /// <summary>Options like <paramref name="options"/> that do not escape quotes and apostrophes (answers are not HTML).</summary>
    public static JsonSerializerOptions Relaxed(JsonSerializerOptions options) => new(options)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// Runs <paramref name="handler"/>; an exception that <paramref name="refusal"/> names, a bad body or a bad config
    /// becomes its status and an <see cref="ApiError"/>.
    /// </summary>
    public static async Task Handle(HttpContext context, Func<Task> handler, Func<Exception, Refusal?> refusal)
    {
        Refusal? refused;
        try
        {
            await handler().ConfigureAwait(false);
            return;
        }
        catch (ConfigException e)
        {
            refused = new Refusal(StatusCodes.Status400BadRequest, e.Field, e.Reason);
        }
        catch (BadHttpRequestException e)
        {
            refused = new Refusal(e.StatusCode, "body", e.Message);
        }
        catch (Exception e) when (refusal(e) is { } r)
        {
            refused = r;
        }

        await WriteError(context, refused.Value.Status, refused.Value.Field, refused.Value.Reason).ConfigureAwait(false);
    }

    /// <summary>Reads the body and parses it strictly as <typeparamref name="T"/>; errors name the JSON field.</summary>
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

    /// <summary><paramref name="status"/> with <paramref name="value"/> as JSON, written by <paramref name="json"/>'s options.</summary>
    public static Task WriteJson<T>(HttpContext context, T value, JsonSerializerContext json, int status)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(context.Response.Body, value, (JsonTypeInfo<T>)json.GetTypeInfo(typeof(T))!, context.RequestAborted);
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
        return JsonSerializer.SerializeAsync(context.Response.Body, error, ErrorJson.ApiError, context.RequestAborted);
    }
}
