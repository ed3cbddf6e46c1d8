using System.Text.Json;
using SharpVirt.Contracts.Manager;

namespace SharpVirt.Manager;

/// <summary>A state's name as the API writes it ("running"), for messages and the database.</summary>
internal static class StateNames
{
    public static string Of(ManagedVmState state) =>
        JsonSerializer.Serialize(state, ManagerJsonContext.Default.ManagedVmState).Trim('"');

    public static ManagedVmState Parse(string name) =>
        JsonSerializer.Deserialize($"\"{name}\"", ManagerJsonContext.Default.ManagedVmState);
}
