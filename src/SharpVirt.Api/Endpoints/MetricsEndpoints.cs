using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SharpVirt.Contracts;
using SharpVirt.Vmm.Control;

namespace SharpVirt.Api.Endpoints;

/// <summary><c>GET /metrics</c> (JSON) and <c>GET /metrics/prometheus</c> (Prometheus text exposition format 0.0.4).</summary>
internal static class MetricsEndpoints
{
    public static void Map(IEndpointRouteBuilder routes, VmmController vmm)
    {
        routes.MapGet("/metrics", context => Exchange.Handle(context, async () =>
            await Exchange.WriteJson(context, await vmm.GetMetrics(), ContractsJsonContext.Default.MetricsReport)));

        routes.MapGet("/metrics/prometheus", context => Exchange.Handle(context, async () =>
        {
            var text = PrometheusText.Format(vmm.Id, await vmm.GetMetrics());
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await context.Response.WriteAsync(text, context.RequestAborted);
        }));
    }
}
