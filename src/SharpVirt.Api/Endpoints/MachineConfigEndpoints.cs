using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using SharpVirt.Contracts;
using SharpVirt.Vmm.Control;

namespace SharpVirt.Api.Endpoints;

/// <summary><c>PUT|GET /machine-config</c>: vCPUs, memory, CPU template, reboot policy.</summary>
internal static class MachineConfigEndpoints
{
    public static void Map(IEndpointRouteBuilder routes, VmmController vmm)
    {
        routes.MapPut("/machine-config", context => Exchange.Handle(context, async () =>
        {
            await vmm.SetMachine(await Exchange.ReadBody(context, ContractsJsonContext.Default.MachineConfig));
            await Exchange.NoContent(context);
        }));

        routes.MapGet("/machine-config", context => Exchange.Handle(context, async () =>
            await Exchange.WriteJson(context, await vmm.GetMachine(), ContractsJsonContext.Default.MachineConfig)));
    }
}
