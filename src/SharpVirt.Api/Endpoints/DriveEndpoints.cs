using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using SharpVirt.Contracts;
using SharpVirt.Vmm.Control;

namespace SharpVirt.Api.Endpoints;

/// <summary><c>PUT /drives/{id}</c> before start; <c>PATCH /drives/{id}</c> (rate limit) while the guest runs.</summary>
internal static class DriveEndpoints
{
    public static void Map(IEndpointRouteBuilder routes, VmmController vmm)
    {
        routes.MapPut("/drives/{id}", context => Exchange.Handle(context, async () =>
        {
            await vmm.SetDrive(Exchange.Route(context, "id"), await Exchange.ReadBody(context, ContractsJsonContext.Default.DriveConfig));
            await Exchange.NoContent(context);
        }));

        routes.MapPatch("/drives/{id}", context => Exchange.Handle(context, async () =>
        {
            await vmm.UpdateDrive(Exchange.Route(context, "id"), await Exchange.ReadBody(context, ContractsJsonContext.Default.DriveUpdate));
            await Exchange.NoContent(context);
        }));
    }
}
