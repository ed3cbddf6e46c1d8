using System.Diagnostics;

namespace SharpVirt.IntegrationTests;

/// <summary>Builds the purpose-made test guests in tests/guests from source with gcc, once per test run.</summary>
public static class TestGuests
{
    private static readonly string SourceDirectory = Path.Combine(AppContext.BaseDirectory, "guests");
    private static readonly string OutputDirectory = Path.Combine(Path.GetTempPath(), $"sharpvirt-guests-{Environment.ProcessId}");
    private static readonly Lock Gate = new();

    /// <summary>The ELF image of guest <paramref name="name"/> (tests/guests/NAME.S), built on first use.</summary>
    public static byte[] Get(string name)
    {
        lock (Gate)
        {
            Directory.CreateDirectory(OutputDirectory);
            var output = Path.Combine(OutputDirectory, name + ".elf");
            if (!File.Exists(output))
            {
                Compile(name, output);
            }

            return File.ReadAllBytes(output);
        }
    }

    private static void Compile(string name, string output)
    {
        var start = new ProcessStartInfo("gcc")
        {
            WorkingDirectory = SourceDirectory,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        foreach (var arg in new[] { "-nostdlib", "-static", "-Wl,-Ttext=0x100000", "-Wl,--section-start=.ap=0x8000", "-Wl,--build-id=none", "-o", output, name + ".S", "lib.S" })
        {
            start.ArgumentList.Add(arg);
        }

        using var gcc = Process.Start(start) ?? throw new InvalidOperationException("cannot start gcc (install Debian's gcc)");
        var errors = gcc.StandardError.ReadToEnd();
        gcc.WaitForExit();
        if (gcc.ExitCode != 0)
        {
            throw new InvalidOperationException($"gcc failed for tests/guests/{name}.S:\n{errors}");
        }
    }
}
