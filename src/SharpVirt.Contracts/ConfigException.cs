namespace SharpVirt.Contracts;

/// <summary>User input that is wrong: names the field and the reason.</summary>
public sealed class ConfigException(string field, string reason) : Exception($"{field}: {reason}")
{
    /// <summary>The field, as the user wrote it (a CLI option or a JSON path).</summary>
    public string Field { get; } = field;

    /// <summary>Why it is wrong.</summary>
    public string Reason { get; } = reason;
}
