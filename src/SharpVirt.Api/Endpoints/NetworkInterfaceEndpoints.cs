using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using SharpVirt.Contracts;
using SharpVirt.Vmm.Control;

namespace SharpVirt.Api.Endpoints;

/// <summary><c>PUT /network-interfaces/{id}</c> before start; <c>PATCH</c> (rate limits) while the guest runs.</summary>
internal static class NetworkInterfaceEndpoints
{
    public static void Map(IEndpointRouteBuilder routes, VmmController vmm)
    {
        routes.MapPut("/network-interfaces/{id}", context => Exchange.Handle(context, async () =>
        {
            await vmm.SetNetworkInterface(Exchange.Route(context, "id"),
                await Exchange.ReadBody(context, ContractsJsonContext.Default.NetworkInterfaceConfig));
            await Exchange.NoContent(context);
        }));

        routes.MapPatch("/network-interfaces/{id}", context => Exchange.Handle(context, async () =>
        {
            await vmm.UpdateNetworkInterface(Exchange.Route(context, "id"),
                await Exchange.ReadBody(context, ContractsJsonContext.Default.NetworkInterfaceUpdate));
            await Exchange.NoContent(context);
        }));
    }
}
