using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using SharpVirt.Contracts;
using SharpVirt.Vmm.Control;

namespace SharpVirt.Api.Endpoints;

/// <summary><c>PUT /snapshot/create</c> (write the running guest to a directory) and <c>PUT /snapshot/load</c> (restore, before start).</summary>
internal static class SnapshotEndpoints
{
    public static void Map(IEndpointRouteBuilder routes, VmmController vmm)
    {
        routes.MapPut("/snapshot/create", context => Exchange.Handle(context, async () =>
        {
            var request = await Exchange.ReadBody(context, ContractsJsonContext.Default.SnapshotCreateRequest);
            await Exchange.WriteJson(context, await vmm.CreateSnapshot(request.SnapshotPath), ContractsJsonContext.Default.SnapshotReport);
        }));

        routes.MapPut("/snapshot/load", context => Exchange.Handle(context, async () =>
        {
            var request = await Exchange.ReadBody(context, ContractsJsonContext.Default.SnapshotLoadRequest);
            await vmm.LoadSnapshot(request.SnapshotPath, request.ResumeVm);
            await Exchange.NoContent(context);
        }));
    }
}
