namespace SharpVirt.Manager;

/// <summary>The host's room for one more guest: no fixed limit on VMs, the host's memory is the limit.</summary>
public static class HostCapacity
{
    /// <summary>MemAvailable from /proc/meminfo, in MiB (null if it cannot be read).</summary>
    public static long? AvailableMemoryMib()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                {
                    var kib = long.Parse(line["MemAvailable:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
                    return kib / 1024;
                }
            }
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
        }

        return null;
    }

    /// <summary>Throws <see cref="ManagerException"/> (Conflict) when the host cannot give <paramref name="memoryMib"/> MiB now.</summary>
    public static void CheckMemory(string name, long memoryMib)
    {
        if (AvailableMemoryMib() is { } available && memoryMib > available)
        {
            throw new ManagerException(ManagerErrorKind.Conflict, name,
                $"needs {memoryMib} MiB of memory and the host has {available} MiB available");
        }
    }
}
