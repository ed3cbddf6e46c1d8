using System.Globalization;

namespace SharpVirt.Manager.Supervision;

/// <summary>
/// A process's start time from /proc/PID/stat: with the pid it names one process for good (pids are reused), so a
/// restarted daemon re-attaches only to the VMM it started, never to a stranger that got the same pid.
/// </summary>
public static class ProcessIdentity
{
    /// <summary>The start time in clock ticks since boot (field 22), or null if no such process exists.</summary>
    public static ulong? StartTicks(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses, so count fields after the last ')'.
        var close = stat.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }

        var fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // fields[0] is field 3 (state), so field 22 is fields[19].
        return fields.Length > 19 && ulong.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            ? ticks : null;
    }

    /// <summary>True when <paramref name="pid"/> is alive and started at <paramref name="startTicks"/>.</summary>
    public static bool IsSame(int pid, ulong startTicks) => StartTicks(pid) == startTicks;
}
