using System.Diagnostics;

namespace SharpVirt.Boot.Tests.Acpi;

/// <summary>Runs the ACPICA compiler/disassembler (Debian package acpica-tools) when it is installed.</summary>
internal static class Iasl
{
    public const string SkipReason = "iasl is not installed (Debian/Ubuntu package: acpica-tools)";

    public static bool IsInstalled { get; } =
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, "iasl")));

    /// <summary>Runs iasl in <paramref name="directory"/> and returns its combined output; fails the test on a non-zero exit.</summary>
    public static async Task<string> RunAsync(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("iasl")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        var output = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, $"iasl {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{output}");
        return output;
    }
}

/// <summary>A fact that needs iasl: skipped, with the package to install, when iasl is missing.</summary>
public sealed class IaslFactAttribute : FactAttribute
{
    public IaslFactAttribute()
    {
        if (!Iasl.IsInstalled)
        {
            Skip = Iasl.SkipReason;
        }
    }
}

/// <summary>A theory that needs iasl: skipped, with the package to install, when iasl is missing.</summary>
public sealed class IaslTheoryAttribute : TheoryAttribute
{
    public IaslTheoryAttribute()
    {
        if (!Iasl.IsInstalled)
        {
            Skip = Iasl.SkipReason;
        }
    }
}
