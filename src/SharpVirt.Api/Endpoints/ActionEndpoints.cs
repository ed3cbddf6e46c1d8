using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using SharpVirt.Contracts;
using SharpVirt.Contracts.Api;
using SharpVirt.Vmm.Control;

namespace SharpVirt.Api.Endpoints;

/// <summary><c>PUT /actions</c>: start, pause, resume, flush, power_button, ctrl_alt_del, stop.</summary>
internal static class ActionEndpoints
{
    public static void Map(IEndpointRouteBuilder routes, VmmController vmm) =>
        routes.MapPut("/actions", context => Exchange.Handle(context, async () =>
        {
            var request = await Exchange.ReadBody(context, ContractsJsonContext.Default.ActionRequest);
            switch (request.Action)
            {
                case VmAction.Start:
                    await vmm.Start();
                    break;
                case VmAction.Pause:
                    await vmm.Pause();
                    break;
                case VmAction.Resume:
                    await vmm.Resume();
                    break;
                case VmAction.Flush:
                    await vmm.FlushDrives();
                    break;
                case VmAction.PowerButton:
                    await vmm.PressPowerButton();
                    break;
                case VmAction.CtrlAltDel:
                    await vmm.SendCtrlAltDel();
                    break;
                case VmAction.Stop:
                    await vmm.Stop("stopped through the API");
                    break;
                default:
                    throw new VmmControlException(VmmControlErrorKind.BadRequest, "action", $"'{request.Action}' is not an action");
            }

            await Exchange.NoContent(context);
        }));
}
