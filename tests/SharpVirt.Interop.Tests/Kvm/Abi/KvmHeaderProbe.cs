using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace SharpVirt.Interop.Tests.Kvm.Abi;

/// <summary>
/// Writes a C program that includes &lt;linux/kvm.h&gt; and prints sizeof/offsetof for every C# ABI struct and the value
/// of every ioctl and constant macro, builds it with gcc, runs it once per test process and parses what it printed.
/// </summary>
internal sealed class KvmHeaderProbe
{
    public const string PackagesHint = "install the Debian packages gcc and linux-libc-dev (apt-get install gcc linux-libc-dev)";

    private static readonly Lazy<KvmHeaderProbe> Shared = new(Run, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly Dictionary<string, ulong> _sizes = [];
    private readonly Dictionary<string, ulong> _unionOffsets = [];
    private readonly Dictionary<(string Struct, string Field), (ulong Offset, ulong Size)> _fields = [];
    private readonly Dictionary<string, string> _macros = [];
    private readonly HashSet<string> _missingMacros = [];

    private KvmHeaderProbe(string source) => Source = source;

    /// <summary>The probe's C source, for failure messages.</summary>
    public string Source { get; }

    /// <summary>The result of the one probe run (compiled on first use; a failure fails every test that asks).</summary>
    public static KvmHeaderProbe Instance => Shared.Value;

    public ulong Size(string structName) =>
        _sizes.TryGetValue(structName, out var size) ? size : throw new KeyNotFoundException($"the probe printed no size for {structName}");

    public ulong UnionOffset(string structName) =>
        _unionOffsets.TryGetValue(structName, out var offset) ? offset : throw new KeyNotFoundException($"the probe printed no union offset for {structName}");

    public (ulong Offset, ulong Size) Field(string structName, string field) =>
        _fields.TryGetValue((structName, field), out var f) ? f : throw new KeyNotFoundException($"the probe printed nothing for {structName}.{field}");

    /// <summary>The macro's value as printed, or null when &lt;linux/kvm.h&gt; does not define it.</summary>
    public string? Macro(string macro) =>
        _missingMacros.Contains(macro) ? null :
        _macros.TryGetValue(macro, out var value) ? value : throw new KeyNotFoundException($"the probe did not look at {macro}");

    /// <summary>The C program for the current C# declarations.</summary>
    public static string GenerateSource()
    {
        var c = new StringBuilder();
        c.AppendLine("#include <stddef.h>");
        c.AppendLine("#include <stdio.h>");
        c.AppendLine("#include <linux/kvm.h>");
        c.AppendLine("#define MEMBER_SIZE(type, member) sizeof(((type *)0)->member)");
        c.AppendLine("int main(void)");
        c.AppendLine("{");
        foreach (var type in KvmAbiCatalog.Structs)
        {
            var name = type.Name;
            var union = KvmAbiCatalog.UnionMember(type);
            if (union is not null)
            {
                // A piece of kvm_run's exit union: its size, where the union starts, and offsets relative to the member.
                c.AppendLine($"    printf(\"size {name} %zu\\n\", MEMBER_SIZE(struct kvm_run, {union}));");
                c.AppendLine($"    printf(\"union {name} %zu\\n\", offsetof(struct kvm_run, {union}));");
            }
            else if (name == "kvm_run")
            {
                // C# declares only the fixed head of kvm_run: its size is where the exit union starts.
                c.AppendLine($"    printf(\"size {name} %zu\\n\", offsetof(struct kvm_run, io));");
                c.AppendLine($"    printf(\"union {name} %zu\\n\", offsetof(struct kvm_run, io));");
            }
            else
            {
                c.AppendLine($"    printf(\"size {name} %zu\\n\", sizeof(struct {name}));");
            }

            foreach (var field in KvmAbiCatalog.Fields(type))
            {
                var member = KvmAbiCatalog.CMember(name, field.Name);
                var (container, designator, origin) = union is null
                    ? ($"struct {name}", member, "0")
                    : ("struct kvm_run", $"{union}.{member}", $"offsetof(struct kvm_run, {union})");
                c.AppendLine($"    printf(\"field {name} {field.Name} %zu %zu\\n\", " +
                             $"offsetof({container}, {designator}) - {origin}, MEMBER_SIZE({container}, {designator}));");
            }
        }

        foreach (var (_, macro) in KvmAbiCatalog.Ioctls)
        {
            AppendMacro(c, macro, "%llu", "unsigned long long");
        }

        foreach (var (_, macro, _) in KvmAbiCatalog.Constants)
        {
            AppendMacro(c, macro, "%lld", "long long");
        }

        c.AppendLine("    return 0;");
        c.AppendLine("}");
        return c.ToString();
    }

    private static void AppendMacro(StringBuilder c, string macro, string format, string type)
    {
        c.AppendLine($"#ifdef {macro}");
        c.AppendLine($"    printf(\"macro {macro} {format}\\n\", ({type})({macro}));");
        c.AppendLine("#else");
        c.AppendLine($"    printf(\"missing {macro}\\n\");");
        c.AppendLine("#endif");
    }

    private static KvmHeaderProbe Run()
    {
        var source = GenerateSource();
        var gcc = FindOnPath("gcc") ?? throw new InvalidOperationException(
            $"gcc is not installed: the ABI test compiles a C program against <linux/kvm.h>; {PackagesHint}");

        var dir = Directory.CreateTempSubdirectory("sharpvirt-kvm-abi-");
        try
        {
            var cFile = Path.Combine(dir.FullName, "kvm_abi_probe.c");
            var exe = Path.Combine(dir.FullName, "kvm_abi_probe");
            File.WriteAllText(cFile, source);

            var (compileExit, _, compileErrors) = Execute(gcc, ["-std=gnu11", "-O0", "-Wall", "-o", exe, cFile]);
            if (compileExit != 0)
            {
                if (compileErrors.Contains("linux/kvm.h", StringComparison.Ordinal) && compileErrors.Contains("No such file", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"<linux/kvm.h> is missing; {PackagesHint}\n{compileErrors}");
                }

                throw new InvalidOperationException($"gcc failed with exit code {compileExit}:\n{compileErrors}\n--- {cFile} ---\n{source}");
            }

            var (runExit, output, runErrors) = Execute(exe, []);
            if (runExit != 0)
            {
                throw new InvalidOperationException($"the probe exited with {runExit}: {runErrors}");
            }

            var probe = new KvmHeaderProbe(source);
            probe.Parse(output);
            return probe;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private void Parse(string output)
    {
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ');
            switch (parts[0])
            {
                case "size": _sizes[parts[1]] = ulong.Parse(parts[2], CultureInfo.InvariantCulture); break;
                case "union": _unionOffsets[parts[1]] = ulong.Parse(parts[2], CultureInfo.InvariantCulture); break;
                case "field":
                    _fields[(parts[1], parts[2])] = (ulong.Parse(parts[3], CultureInfo.InvariantCulture), ulong.Parse(parts[4], CultureInfo.InvariantCulture));
                    break;
                case "macro": _macros[parts[1]] = parts[2]; break;
                case "missing": _missingMacros.Add(parts[1]); break;
                default: throw new FormatException($"unexpected probe output line: {line}");
            }
        }
    }

    private static (int ExitCode, string Stdout, string Stderr) Execute(string file, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            process.Kill();
            throw new TimeoutException($"{file} did not finish within 120 s");
        }

        return (process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);
}
