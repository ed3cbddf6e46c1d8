using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SharpVirt.Contracts;
using SharpVirt.Vmm.Control;

namespace SharpVirt.Api.Endpoints;

/// <summary><c>PUT /migrate</c> (start moving the guest), <c>GET /migrate</c> (progress) and <c>DELETE /migrate</c> (cancel).</summary>
internal static class MigrationEndpoints
{
    public static void Map(IEndpointRouteBuilder routes, VmmController vmm)
    {
        routes.MapPut("/migrate", context => Exchange.Handle(context, async () =>
        {
            var request = await Exchange.ReadBody(context, ContractsJsonContext.Default.MigrationRequest);
            await vmm.StartMigration(request);
            await Exchange.WriteJson(context, await vmm.GetMigration(), ContractsJsonContext.Default.MigrationStatus, StatusCodes.Status202Accepted);
        }));

        routes.MapGet("/migrate", context => Exchange.Handle(context, async () =>
        {
            var wait = 0;
            if (context.Request.Query["wait_ms"] is { Count: > 0 } values
                && (!int.TryParse(values[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out wait) || wait > 60_000))
            {
                throw new VmmControlException(VmmControlErrorKind.BadRequest, "wait_ms", $"'{values[0]}' is not from 0 to 60000 ms");
            }

            await Exchange.WriteJson(context, await vmm.GetMigration(wait), ContractsJsonContext.Default.MigrationStatus);
        }));

        routes.MapDelete("/migrate", context => Exchange.Handle(context, async () =>
        {
            await vmm.CancelMigration();
            await Exchange.NoContent(context);
        }));
    }
}
