namespace SharpVirt.IntegrationTests;

/// <summary>Bad input to the shipped binary: one clear line naming the field, a non-zero exit, no stack trace.</summary>
public sealed class CliErrorTests
{
    [Theory]
    [InlineData(new[] { "run", "--kernel", "/nonexistent/bzImage" }, "kernel_image_path: /nonexistent/bzImage: no such file")]
    [InlineData(new[] { "run", "--kernel", "/etc/hostname" }, "is not a bzImage or ELF kernel")]
    [InlineData(new[] { "run", "--kernel", "/etc/hostname", "--cpus", "0" }, "vcpu_count: 0 vCPUs: must be between 1 and 255")]
    [InlineData(new[] { "run", "--kernel", "/etc/hostname", "--cpus", "999" }, "vcpu_count: 999 vCPUs")]
    [InlineData(new[] { "run", "--kernel", "/etc/hostname", "--memory", "4M" }, "mem_size_mib: 4 MiB is too small")]
    [InlineData(new[] { "run", "--kernel", "/etc/hostname", "--memory", "64T" }, "more than this host's")]
    [InlineData(new[] { "run", "--kernel", "/etc/hostname", "--memory", "lots" }, "--memory: 'lots' is not a size")]
    [InlineData(new[] { "run", "--kernel", "/etc/hostname", "--cpu-template", "fast" }, "cpu_template: unknown template 'fast'; known: compat, host")]
    [InlineData(new[] { "run", "--kernel", "/etc/hostname", "--on-reboot", "maybe" }, "--on-reboot: 'maybe': use restart or exit")]
    [InlineData(new[] { "run", "--config", "/nonexistent.json" }, "--config: cannot read /nonexistent.json")]
    public void Bad_input_gets_one_line_naming_the_field(string[] arguments, string expected)
    {
        using var vmm = SharpVirtProcess.Start(arguments);
        var code = vmm.WaitForExit(TimeSpan.FromSeconds(20));
        Assert.Equal(1, code);
        var output = vmm.Output.Trim();
        Assert.Contains(expected, output);
        Assert.DoesNotContain("   at ", output); // no stack trace
        Assert.Single(output.Split('\n'));
    }

    [Theory]
    [InlineData("""{ "boot-source": { "kernel_image_path": "/x" }, "machine-config": { "vcpus": 2 } }""", "$.machine-config.vcpus: unknown field")]
    [InlineData("""{ "boot-source": { "kernel_image_path": "/x" }, "machine-config": { "vcpu_count": "two" } }""", "$.machine-config.vcpu_count")]
    [InlineData("""{ "machine-config": { "vcpu_count": 2 } }""", "missing required field")]
    public void Bad_config_files_are_refused_naming_the_json_field(string json, string expected)
    {
        var path = Path.Combine(Path.GetTempPath(), $"sv-bad-{Environment.ProcessId}-{Guid.NewGuid():n}.json");
        File.WriteAllText(path, json);
        try
        {
            using var vmm = SharpVirtProcess.Start("run", "--config", path);
            Assert.Equal(1, vmm.WaitForExit(TimeSpan.FromSeconds(20)));
            Assert.Contains(expected, vmm.Output);
            Assert.Single(vmm.Output.Trim().Split('\n'));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
