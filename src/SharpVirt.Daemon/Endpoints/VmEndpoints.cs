using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SharpVirt.Contracts.Manager;
using SharpVirt.Http;
using SharpVirt.Manager;

namespace SharpVirt.Daemon.Endpoints;

/// <summary>
/// <c>/v1/vms</c>: the defined VMs (list, define, show, change, undefine), their definitions, and
/// <c>PUT /v1/vms/{name}/state</c> to start, stop, pause and resume them.
/// </summary>
internal static class VmEndpoints
{
    public static void Map(IEndpointRouteBuilder routes, ManagerService manager)
    {
        routes.MapGet("/v1/vms", context => DaemonExchange.Handle(context, () =>
            DaemonExchange.WriteJson(context, new VmList { Vms = manager.List() })));

        routes.MapPost("/v1/vms", context => DaemonExchange.Handle(context, async () =>
        {
            var definition = await JsonExchange.ReadBody(context, ManagerJsonContext.Default.VmDefinition);
            var status = manager.Define(definition);
            context.Response.Headers.Location = $"/v1/vms/{status.Name}";
            await DaemonExchange.WriteJson(context, status, StatusCodes.Status201Created);
        }));

        routes.MapGet("/v1/vms/{name}", context => DaemonExchange.Handle(context, () =>
            DaemonExchange.WriteJson(context, manager.Get(JsonExchange.Route(context, "name")))));

        routes.MapGet("/v1/vms/{name}/definition", context => DaemonExchange.Handle(context, () =>
            DaemonExchange.WriteJson(context, manager.GetDefinition(JsonExchange.Route(context, "name")))));

        routes.MapMethods("/v1/vms/{name}", [HttpMethods.Patch], context => DaemonExchange.Handle(context, async () =>
        {
            var update = await JsonExchange.ReadBody(context, ManagerJsonContext.Default.VmDefinitionUpdate);
            await DaemonExchange.WriteJson(context, await manager.Update(JsonExchange.Route(context, "name"), update));
        }));

        routes.MapDelete("/v1/vms/{name}", context => DaemonExchange.Handle(context, async () =>
        {
            await manager.Undefine(JsonExchange.Route(context, "name"));
            context.Response.StatusCode = StatusCodes.Status204NoContent;
        }));

        routes.MapPut("/v1/vms/{name}/state", context => DaemonExchange.Handle(context, async () =>
        {
            var name = JsonExchange.Route(context, "name");
            var change = await JsonExchange.ReadBody(context, ManagerJsonContext.Default.VmStateChange);
            if (change.TimeoutSeconds is not null && change.Action != VmStateAction.Stop)
            {
                throw new ManagerException(ManagerErrorKind.BadRequest, "timeout_s", "only a stop waits: leave it out for other actions");
            }

            var status = await (change.Action switch
            {
                VmStateAction.Start => manager.Start(name),
                VmStateAction.Stop => manager.Stop(name, force: false, change.TimeoutSeconds),
                VmStateAction.ForceStop => manager.Stop(name, force: true),
                VmStateAction.Pause => manager.Pause(name, pause: true),
                _ => manager.Pause(name, pause: false),
            });
            await DaemonExchange.WriteJson(context, status);
        }));
    }
}
