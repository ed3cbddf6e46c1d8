namespace SharpVirt.Manager;

/// <summary>How a manager request was refused; the daemon's API maps each to one HTTP status.</summary>
public enum ManagerErrorKind
{
    /// <summary>The input is wrong (400).</summary>
    BadRequest,
    /// <summary>No such VM (404).</summary>
    NotFound,
    /// <summary>The VM is in a state where this cannot be done, or the name is taken (409).</summary>
    Conflict,
    /// <summary>The host could not do it: a VMM that does not start, a full disk (500).</summary>
    Host,
}

/// <summary>A refused or failed manager request: names the field (or VM) and the reason.</summary>
public sealed class ManagerException(ManagerErrorKind kind, string field, string reason) : Exception($"{field}: {reason}")
{
    /// <summary>Why it was refused.</summary>
    public ManagerErrorKind Kind { get; } = kind;

    /// <summary>The field or VM name at fault.</summary>
    public string Field { get; } = field;

    /// <summary>The reason, for people.</summary>
    public string Reason { get; } = reason;
}
