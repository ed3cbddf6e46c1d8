using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using SharpVirt.Contracts;
using SharpVirt.Vmm.Control;

namespace SharpVirt.Api.Endpoints;

/// <summary><c>GET /</c> (instance info), <c>GET /vm/config</c> (the whole config) and <c>PATCH /vm</c> (pause, resume).</summary>
internal static class InstanceEndpoints
{
    public static void Map(IEndpointRouteBuilder routes, VmmController vmm)
    {
        routes.MapGet("/", context => Exchange.Handle(context, async () =>
            await Exchange.WriteJson(context, await vmm.GetInfo(), ContractsJsonContext.Default.InstanceInfo)));

        routes.MapGet("/vm/config", context => Exchange.Handle(context, async () =>
        {
            var config = await vmm.GetConfig() ?? throw new VmmControlException(VmmControlErrorKind.NotFound, "boot-source",
                "nothing configured yet: PUT /boot-source first");
            await Exchange.WriteJson(context, config, ContractsJsonContext.Default.VmConfig);
        }));

        routes.MapPatch("/vm", context => Exchange.Handle(context, async () =>
        {
            var request = await Exchange.ReadBody(context, ContractsJsonContext.Default.VmStateRequest);
            await (request.State switch
            {
                "Paused" or "paused" => vmm.Pause(),
                "Resumed" or "resumed" or "running" => vmm.Resume(),
                _ => throw new VmmControlException(VmmControlErrorKind.BadRequest, "state", $"'{request.State}': use Paused or Resumed"),
            });
            await Exchange.NoContent(context);
        }));
    }
}
