using System.Diagnostics;
using System.Text.Json;
using SharpVirt.Contracts;
using SharpVirt.Contracts.Manager;

namespace SharpVirt.Manager.Supervision;

/// <summary>
/// Starts one VM's VMM: <c>sharpvirt vmm --config ... --api-socket ... --exit-report ...</c> in its own session (so
/// signals aimed at the daemon's terminal or process group do not reach it, and it outlives the daemon), with its
/// serial console appended to the VM's console log and no terminal input.
/// </summary>
public sealed class VmmLauncher(string sharpvirtBinary, ManagerPaths paths)
{
    /// <summary>The sharpvirt binary VMMs are started from.</summary>
    public string Binary { get; } = sharpvirtBinary;

    /// <summary>Writes the VM's config file and starts its VMM; null if it ended at once (the log says why).</summary>
    /// <exception cref="ManagerException">The files cannot be written, or the binary cannot be started.</exception>
    public VmmProcess? Launch(VmDefinition definition)
    {
        var name = definition.Name;
        try
        {
            Directory.CreateDirectory(paths.VmDirectory(name));
            Directory.CreateDirectory(Path.GetDirectoryName(paths.ApiSocket(name))!);
            File.WriteAllText(paths.ConfigFile(name), JsonSerializer.Serialize(definition.Config, ContractsJsonContext.Default.VmConfig));
            File.Delete(paths.ExitReport(name));
            // On a line of its own: the last run may have ended mid-line (at a shell prompt).
            File.AppendAllText(paths.ConsoleLog(name), $"\n--- sharpvirtd: starting {name} at {DateTimeOffset.UtcNow:O} ---\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ManagerException(ManagerErrorKind.Host, name, $"cannot write the VM's files in {paths.VmDirectory(name)}: {e.Message}");
        }

        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        // sh only sets up the descriptors; setsid then becomes the VMM (same pid), in a session of its own.
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("exec setsid \"$0\" \"$@\" </dev/null >>\"$SHARPVIRT_CONSOLE_LOG\" 2>&1");
        foreach (var argument in (string[])[
            Binary, "vmm", "--config", paths.ConfigFile(name), "--api-socket", paths.ApiSocket(name), "--id", name,
            "--exit-report", paths.ExitReport(name)])
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["SHARPVIRT_CONSOLE_LOG"] = paths.ConsoleLog(name);
        Process child;
        try
        {
            child = Process.Start(start) ?? throw new ManagerException(ManagerErrorKind.Host, name, "the VMM did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new ManagerException(ManagerErrorKind.Host, name, $"cannot run {Binary}: {e.Message}");
        }

        var process = VmmProcess.FromChild(child);
        if (process is null)
        {
            child.Dispose();
        }

        return process;
    }

    /// <summary>The last lines of the VM's console log, to say why a VMM ended.</summary>
    public string ConsoleTail(string name, int lines = 5)
    {
        try
        {
            var all = File.ReadAllLines(paths.ConsoleLog(name));
            return string.Join(" | ", all.Skip(Math.Max(0, all.Length - lines)).Select(l => l.Trim()).Where(l => l.Length > 0));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }
}
