using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using SharpVirt.Contracts;
using SharpVirt.Vmm.Control;

namespace SharpVirt.Api.Endpoints;

/// <summary><c>PUT /boot-source</c>: the kernel, initrd and command line.</summary>
internal static class BootSourceEndpoints
{
    public static void Map(IEndpointRouteBuilder routes, VmmController vmm) =>
        routes.MapPut("/boot-source", context => Exchange.Handle(context, async () =>
        {
            await vmm.SetBootSource(await Exchange.ReadBody(context, ContractsJsonContext.Default.BootSourceConfig));
            await Exchange.NoContent(context);
        }));
}
