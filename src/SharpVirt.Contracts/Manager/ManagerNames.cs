using System.Text.Json;

namespace SharpVirt.Contracts.Manager;

/// <summary>The names the API writes for states and policies ("running", "on-failure"), for messages, tables and the database.</summary>
public static class ManagerNames
{
    /// <summary>A state's name.</summary>
    public static string Of(ManagedVmState state) =>
        JsonSerializer.Serialize(state, ManagerJsonContext.Default.ManagedVmState).Trim('"');

    /// <summary>A restart policy's name.</summary>
    public static string Of(RestartPolicy policy) =>
        JsonSerializer.Serialize(policy, ManagerJsonContext.Default.RestartPolicy).Trim('"');

    /// <summary>The state named <paramref name="name"/>.</summary>
    public static ManagedVmState ParseState(string name) =>
        JsonSerializer.Deserialize($"\"{name}\"", ManagerJsonContext.Default.ManagedVmState);
}
