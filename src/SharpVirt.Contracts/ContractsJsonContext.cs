using System.Text.Json.Serialization;

namespace SharpVirt.Contracts;

/// <summary>Source-generated JSON for the contracts: AOT-safe, and strict (unknown fields are errors).</summary>
[JsonSourceGenerationOptions(
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    WriteIndented = true,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip,
    AllowTrailingCommas = true)]
[JsonSerializable(typeof(VmConfig))]
public sealed partial class ContractsJsonContext : JsonSerializerContext;
