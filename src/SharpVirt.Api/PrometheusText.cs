using System.Globalization;
using System.Text;
using SharpVirt.Contracts.Api;

namespace SharpVirt.Api;

/// <summary>
/// Metrics in Prometheus's text format: one family per counter name ("sharpvirt_block_read_count"), with the device
/// and the instance as labels, so one scrape config serves every VMM on a host.
/// </summary>
public static class PrometheusText
{
    /// <summary>Formats <paramref name="report"/> for instance <paramref name="instance"/>.</summary>
    public static string Format(string instance, MetricsReport report)
    {
        var text = new StringBuilder();
        var id = Escape(instance);
        text.Append("# TYPE sharpvirt_up gauge\n");
        text.Append(CultureInfo.InvariantCulture, $"sharpvirt_up{{instance_id=\"{id}\",state=\"{StateName(report.State)}\"}} 1\n");
        foreach (var (name, value) in report.Vmm.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            var family = $"sharpvirt_vmm_{Sanitize(name)}";
            text.Append(CultureInfo.InvariantCulture, $"# TYPE {family} {(name.StartsWith("emulated_", StringComparison.Ordinal) ? "counter" : "gauge")}\n");
            text.Append(CultureInfo.InvariantCulture, $"{family}{{instance_id=\"{id}\"}} {value}\n");
        }

        // Prometheus wants each family's samples together: group the devices' counters by kind and name.
        var families = report.Devices
            .SelectMany(d => d.Value.Counters.Select(c => (Family: $"sharpvirt_{Sanitize(d.Value.Kind)}_{Sanitize(c.Key)}", Device: d.Key, c.Value)))
            .GroupBy(s => s.Family, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal);
        foreach (var family in families)
        {
            text.Append(CultureInfo.InvariantCulture, $"# TYPE {family.Key} counter\n");
            foreach (var sample in family.OrderBy(s => s.Device, StringComparer.Ordinal))
            {
                text.Append(CultureInfo.InvariantCulture, $"{family.Key}{{instance_id=\"{id}\",device=\"{Escape(sample.Device)}\"}} {sample.Value}\n");
            }
        }

        return text.ToString();
    }

    private static string StateName(VmState state) => state switch
    {
        VmState.NotStarted => "not-started",
        VmState.Running => "running",
        VmState.Paused => "paused",
        _ => "stopped",
    };

    /// <summary>Metric names allow [a-zA-Z0-9_]; anything else becomes '_'.</summary>
    private static string Sanitize(string name) =>
        string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_'));

    /// <summary>Label values escape backslash, quote and newline.</summary>
    private static string Escape(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
