using System.Text.Json.Serialization;
using SharpVirt.Contracts.Api;

namespace SharpVirt.Contracts.Manager;

/// <summary>Source-generated, strict JSON for the manager's records (the daemon's API and its database rows).</summary>
[JsonSourceGenerationOptions(
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    WriteIndented = true,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip,
    AllowTrailingCommas = true)]
[JsonSerializable(typeof(VmDefinition))]
[JsonSerializable(typeof(VmDefinitionUpdate))]
[JsonSerializable(typeof(VmStatus))]
[JsonSerializable(typeof(VmList))]
[JsonSerializable(typeof(VmStateChange))]
[JsonSerializable(typeof(VmmExitReport))]
[JsonSerializable(typeof(VmConfig))]
[JsonSerializable(typeof(ApiError))]
public sealed partial class ManagerJsonContext : JsonSerializerContext;
