using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using SharpVirt.Contracts;
using SharpVirt.Vmm.Control;

namespace SharpVirt.Api.Endpoints;

/// <summary><c>PUT /vsock</c>, <c>PUT /entropy</c> and <c>PUT /console</c>: the devices with one instance, before start.</summary>
internal static class DeviceEndpoints
{
    public static void Map(IEndpointRouteBuilder routes, VmmController vmm)
    {
        routes.MapPut("/vsock", context => Exchange.Handle(context, async () =>
        {
            await vmm.SetVsock(await Exchange.ReadBody(context, ContractsJsonContext.Default.VsockConfig));
            await Exchange.NoContent(context);
        }));

        routes.MapPut("/entropy", context => Exchange.Handle(context, async () =>
        {
            await vmm.SetEntropy(await Exchange.ReadBody(context, ContractsJsonContext.Default.EntropyConfig));
            await Exchange.NoContent(context);
        }));

        routes.MapPut("/console", context => Exchange.Handle(context, async () =>
        {
            await vmm.SetConsole(await Exchange.ReadBody(context, ContractsJsonContext.Default.ConsoleConfig));
            await Exchange.NoContent(context);
        }));
    }
}
