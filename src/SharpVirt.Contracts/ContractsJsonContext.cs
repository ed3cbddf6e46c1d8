using System.Text.Json.Serialization;
using SharpVirt.Contracts.Api;

namespace SharpVirt.Contracts;

/// <summary>Source-generated JSON for the contracts: AOT-safe, and strict (unknown fields are errors).</summary>
[JsonSourceGenerationOptions(
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    WriteIndented = true,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip,
    AllowTrailingCommas = true)]
[JsonSerializable(typeof(VmConfig))]
[JsonSerializable(typeof(MachineConfig))]
[JsonSerializable(typeof(BootSourceConfig))]
[JsonSerializable(typeof(DriveConfig))]
[JsonSerializable(typeof(NetworkInterfaceConfig))]
[JsonSerializable(typeof(BalloonConfig))]
[JsonSerializable(typeof(VsockConfig))]
[JsonSerializable(typeof(EntropyConfig))]
[JsonSerializable(typeof(ConsoleConfig))]
[JsonSerializable(typeof(ActionRequest))]
[JsonSerializable(typeof(VmStateRequest))]
[JsonSerializable(typeof(InstanceInfo))]
[JsonSerializable(typeof(ApiError))]
[JsonSerializable(typeof(BalloonUpdate))]
[JsonSerializable(typeof(BalloonInfo))]
[JsonSerializable(typeof(DriveUpdate))]
[JsonSerializable(typeof(NetworkInterfaceUpdate))]
[JsonSerializable(typeof(MetricsReport))]
[JsonSerializable(typeof(SnapshotCreateRequest))]
[JsonSerializable(typeof(SnapshotLoadRequest))]
[JsonSerializable(typeof(SnapshotReport))]
[JsonSerializable(typeof(MigrationRequest))]
[JsonSerializable(typeof(MigrationStatus))]
public sealed partial class ContractsJsonContext : JsonSerializerContext;
