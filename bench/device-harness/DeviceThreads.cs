using System.Globalization;

namespace SharpVirt.Bench.DeviceHarness;

/// <summary>CPU time of this process's threads by name, from /proc/self/task/*/schedstat (nanoseconds on a CPU).</summary>
internal static class DeviceThreads
{
    /// <summary>Nanoseconds the threads whose name starts with <paramref name="prefix"/> have run, dead ones excluded.</summary>
    internal static long CpuNanoseconds(string prefix)
    {
        long total = 0;
        foreach (var task in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                if (!File.ReadAllText(Path.Combine(task, "comm")).StartsWith(prefix, StringComparison.Ordinal))
                {
                    continue;
                }

                var schedstat = File.ReadAllText(Path.Combine(task, "schedstat"));
                total += long.Parse(schedstat.Split(' ')[0], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                // The thread ended while we looked.
            }
        }

        return total;
    }
}
