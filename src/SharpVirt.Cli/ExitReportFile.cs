using System.Text.Json;
using SharpVirt.Contracts.Manager;
using SharpVirt.Vmm;

namespace SharpVirt.Cli;

/// <summary>
/// <c>sharpvirt vmm --exit-report FILE</c>: how the guest ended, written just before the VMM exits, so that a
/// supervisor that is not its parent (sharpvirtd after a restart) still learns it. Written to a temporary file and
/// renamed, so a reader never sees half a report.
/// </summary>
internal static class ExitReportFile
{
    /// <summary>The report's name for each outcome (the manager's restart policy reads these).</summary>
    public static string OutcomeName(VmOutcomeKind kind) => kind switch
    {
        VmOutcomeKind.PowerOff => "power_off",
        VmOutcomeKind.Reboot => "reboot",
        VmOutcomeKind.Panic => "panic",
        VmOutcomeKind.UserQuit => "user_quit",
        VmOutcomeKind.Migrated => "migrated",
        _ => "error",
    };

    /// <summary>Writes the report to <paramref name="path"/> when one was asked for; a failure is said on stderr only.</summary>
    public static void Write(string? path, string outcome, string message, int exitCode)
    {
        if (path is null)
        {
            return;
        }

        var report = new VmmExitReport { Outcome = outcome, Message = message, ExitCode = exitCode };
        var temporary = path + ".tmp";
        try
        {
            File.WriteAllText(temporary, JsonSerializer.Serialize(report, ManagerJsonContext.Default.VmmExitReport) + "\n");
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"sharpvirt: --exit-report {path}: {e.Message}");
        }
    }
}
