using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using SharpVirt.Contracts;
using SharpVirt.Vmm.Control;

namespace SharpVirt.Api.Endpoints;

/// <summary>
/// <c>PUT /balloon</c> before start, <c>PATCH /balloon</c> (the target) while the guest runs, <c>GET /balloon</c> and
/// <c>GET /balloon/statistics</c>.
/// </summary>
internal static class BalloonEndpoints
{
    public static void Map(IEndpointRouteBuilder routes, VmmController vmm)
    {
        routes.MapPut("/balloon", context => Exchange.Handle(context, async () =>
        {
            await vmm.SetBalloon(await Exchange.ReadBody(context, ContractsJsonContext.Default.BalloonConfig));
            await Exchange.NoContent(context);
        }));

        routes.MapPatch("/balloon", context => Exchange.Handle(context, async () =>
        {
            await vmm.UpdateBalloon(await Exchange.ReadBody(context, ContractsJsonContext.Default.BalloonUpdate));
            await Exchange.NoContent(context);
        }));

        routes.MapGet("/balloon", context => Exchange.Handle(context, async () =>
            await Exchange.WriteJson(context, await vmm.GetBalloon(), ContractsJsonContext.Default.BalloonConfig)));

        routes.MapGet("/balloon/statistics", context => Exchange.Handle(context, async () =>
            await Exchange.WriteJson(context, await vmm.GetBalloonStatistics(), ContractsJsonContext.Default.BalloonInfo)));
    }
}
