using SharpVirt.Contracts;
using SharpVirt.Contracts.Manager;

namespace SharpVirt.Manager;

/// <summary>
/// Checks a VM's whole config the way its VMM will (the composition root passes the VMM's own checker, so a definition
/// that is accepted also boots); throws <see cref="ConfigException"/> naming the field.
/// </summary>
public delegate void ConfigChecker(VmConfig config);

/// <summary>What a definition must satisfy to be stored.</summary>
public static class DefinitionRules
{
    /// <summary>The longest VM name (a DNS label).</summary>
    public const int MaxNameLength = 63;

    /// <summary>Throws <see cref="ManagerException"/> (BadRequest) naming the field, unless the definition is valid.</summary>
    public static void Check(VmDefinition definition, ConfigChecker checkConfig)
    {
        CheckName(definition.Name);
        try
        {
            checkConfig(definition.Config);
        }
        catch (ConfigException e)
        {
            throw new ManagerException(ManagerErrorKind.BadRequest, $"config.{e.Field}", e.Reason);
        }
    }

    /// <summary>Names are file and socket names too: 1-63 of [a-z0-9._-], starting with a letter or digit.</summary>
    public static void CheckName(string name)
    {
        if (name.Length == 0)
        {
            throw new ManagerException(ManagerErrorKind.BadRequest, "name", "empty");
        }

        if (name.Length > MaxNameLength)
        {
            throw new ManagerException(ManagerErrorKind.BadRequest, "name", $"'{name}' is longer than {MaxNameLength} characters");
        }

        if (!char.IsAsciiLetterLower(name[0]) && !char.IsAsciiDigit(name[0]))
        {
            throw new ManagerException(ManagerErrorKind.BadRequest, "name", $"'{name}' must start with a lower-case letter or a digit");
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterLower(c) && !char.IsAsciiDigit(c) && c is not ('-' or '_' or '.'))
            {
                throw new ManagerException(ManagerErrorKind.BadRequest, "name",
                    $"'{name}' holds '{c}': use lower-case letters, digits, '-', '_' and '.'");
            }
        }
    }
}
