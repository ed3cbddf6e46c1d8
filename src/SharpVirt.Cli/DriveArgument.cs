using SharpVirt.Contracts;

namespace SharpVirt.Cli;

/// <summary>Parses <c>--disk path=FILE[,readonly=on|off][,serial=TEXT][,id=NAME]</c>, QEMU's key=value style.</summary>
public static class DriveArgument
{
    /// <summary>The drive described by one <c>--disk</c> value.</summary>
    /// <exception cref="ConfigException">A key is unknown, repeated or has a bad value, or path is missing.</exception>
    public static DriveConfig Parse(string text)
    {
        string? path = null, serial = null, id = null;
        var readOnly = false;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var part in text.Split(','))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new ConfigException("--disk", $"'{part}' is not key=value (example: --disk path=disk.img,readonly=on)");
            }

            var key = part[..eq];
            var value = part[(eq + 1)..];
            if (!seen.Add(key))
            {
                throw new ConfigException("--disk", $"'{key}' is given twice");
            }

            switch (key)
            {
                case "path": path = value; break;
                case "serial": serial = value; break;
                case "id": id = value; break;
                case "readonly":
                    readOnly = value switch
                    {
                        "on" or "true" or "yes" => true,
                        "off" or "false" or "no" => false,
                        _ => throw new ConfigException("--disk", $"readonly={value}: use on or off"),
                    };
                    break;
                default:
                    throw new ConfigException("--disk", $"unknown key '{key}' (known: path, readonly, serial, id)");
            }
        }

        if (string.IsNullOrEmpty(path))
        {
            throw new ConfigException("--disk", "path= is missing");
        }

        return new DriveConfig { PathOnHost = path, IsReadOnly = readOnly, Serial = serial, DriveId = id };
    }
}
