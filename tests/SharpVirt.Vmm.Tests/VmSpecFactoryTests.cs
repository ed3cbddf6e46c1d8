using System.Buffers.Binary;
using SharpVirt.Boot;
using SharpVirt.Contracts;
using SharpVirt.Vmm.Cpu;

namespace SharpVirt.Vmm.Tests;

public sealed class VmSpecFactoryTests : IDisposable
{
    private const long Host = 1L << 30; // 1 GiB: keeps the tests independent of this machine's RAM
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sharpvirt-spec-");
    private readonly string _kernel;

    public VmSpecFactoryTests()
    {
        _kernel = Path.Combine(_dir.FullName, "bzImage");
        File.WriteAllBytes(_kernel, FakeBzImage());
    }

    public void Dispose() => _dir.Delete(recursive: true);

    /// <summary>Just enough of a bzImage for the factory's format check: the 0xAA55 flag and "HdrS".</summary>
    private static byte[] FakeBzImage()
    {
        var image = new byte[0x400];
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(0x1fe), 0xaa55);
        "HdrS"u8.CopyTo(image.AsSpan(0x202));
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(0x206), 0x020f);
        return image;
    }

    private string WriteFile(string name, byte[] content)
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    private VmConfig Config(int vcpus = 2, long mib = 256, string template = "compat", string? kernel = null,
        string? initrd = null, string? bootArgs = null) => new()
    {
        BootSource = new BootSourceConfig { KernelImagePath = kernel ?? _kernel, InitrdPath = initrd, BootArgs = bootArgs },
        Machine = new MachineConfig { VcpuCount = vcpus, MemSizeMib = mib, CpuTemplate = template },
    };

    private static ConfigException Refused(VmConfig config, long hostMemory = Host) =>
        Assert.Throws<ConfigException>(() => VmSpecFactory.Create(config, hostMemory));

    [Fact]
    public void A_valid_config_becomes_a_spec_with_the_files_read()
    {
        var initrd = WriteFile("initrd.cpio", [1, 2, 3]);

        var spec = VmSpecFactory.Create(Config(vcpus: 4, mib: 512, template: "HOST", initrd: initrd, bootArgs: "console=ttyS0 quiet"), Host);

        Assert.Equal(FakeBzImage(), spec.Kernel);
        Assert.Equal(_kernel, spec.KernelName);
        Assert.Equal(new byte[] { 1, 2, 3 }, spec.Initrd);
        Assert.Equal("console=ttyS0 quiet", spec.Cmdline);
        Assert.Equal(4, spec.VcpuCount);
        Assert.Equal(512UL << 20, spec.MemoryBytes);
        Assert.Same(CpuTemplate.Host, spec.CpuTemplate);
    }

    [Fact]
    public void Without_boot_args_the_default_command_line_is_used_and_without_initrd_there_is_none()
    {
        var spec = VmSpecFactory.Create(Config(template: "host"), Host);
        Assert.Equal(KernelCmdline.Default, spec.Cmdline);
        Assert.Null(spec.Initrd);
    }

    [Fact]
    public void The_default_template_is_compat_and_its_kernel_arguments_follow_the_users()
    {
        var spec = VmSpecFactory.Create(Config(bootArgs: "console=ttyS0 root=/dev/vda"), Host);

        Assert.Same(CpuTemplate.Compat, spec.CpuTemplate);
        var expected = CpuTemplate.Compat.LinuxArguments.Length > 0
            ? "console=ttyS0 root=/dev/vda " + CpuTemplate.Compat.LinuxArguments
            : "console=ttyS0 root=/dev/vda";
        Assert.Equal(expected, spec.Cmdline);
    }

    [Fact]
    public void An_ELF_kernel_is_accepted_too()
    {
        var elf = WriteFile("vmlinux", [0x7f, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0]);
        Assert.Equal(8, VmSpecFactory.Create(Config(kernel: elf), Host).Kernel.Length);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(256)]
    public void A_vcpu_count_outside_1_to_255_names_vcpu_count(int vcpus)
    {
        var e = Refused(Config(vcpus: vcpus));
        Assert.Equal("vcpu_count", e.Field);
        Assert.Contains(vcpus.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(255)]
    public void The_vcpu_count_limits_themselves_are_accepted(int vcpus) =>
        Assert.Equal(vcpus, VmSpecFactory.Create(Config(vcpus: vcpus), Host).VcpuCount);

    [Fact]
    public void Too_little_memory_names_mem_size_mib()
    {
        var e = Refused(Config(mib: 8));
        Assert.Equal("mem_size_mib", e.Field);
        Assert.Contains("16 MiB", e.Message);
        Assert.Equal(16UL << 20, VmSpecFactory.Create(Config(mib: 16), Host).MemoryBytes);
    }

    [Fact]
    public void More_memory_than_the_host_has_names_mem_size_mib()
    {
        var e = Refused(Config(mib: 2048), hostMemory: 1L << 30);
        Assert.Equal("mem_size_mib", e.Field);
        Assert.Contains("1024 MiB", e.Message);
        Assert.Equal(1024UL << 20, VmSpecFactory.Create(Config(mib: 1024), 1L << 30).MemoryBytes);
    }

    [Fact]
    public void A_missing_kernel_names_kernel_image_path_and_says_no_such_file()
    {
        var missing = Path.Combine(_dir.FullName, "nope", "bzImage");
        var e = Refused(Config(kernel: missing));
        Assert.Equal("kernel_image_path", e.Field);
        Assert.Contains("no such file", e.Message);
        Assert.Contains(missing, e.Message);

        Assert.Contains("no such file", Refused(Config(kernel: Path.Combine(_dir.FullName, "absent"))).Message);
    }

    [Fact]
    public void An_empty_kernel_path_names_kernel_image_path()
    {
        var e = Refused(Config(kernel: " "));
        Assert.Equal("kernel_image_path", e.Field);
        Assert.Contains("no file given", e.Message);
    }

    [Fact]
    public void A_directory_as_kernel_is_refused()
    {
        var e = Refused(Config(kernel: _dir.FullName));
        Assert.Equal("kernel_image_path", e.Field);
        Assert.Contains("directory", e.Message);
    }

    [Fact]
    public void A_text_file_as_kernel_is_not_a_bzImage_or_ELF()
    {
        var text = WriteFile("notes.txt", "console=ttyS0\n"u8.ToArray());
        var e = Refused(Config(kernel: text));
        Assert.Equal("kernel_image_path", e.Field);
        Assert.Contains("not a bzImage or ELF", e.Message);
    }

    [Fact]
    public void An_unknown_cpu_template_lists_the_known_ones()
    {
        var e = Refused(Config(template: "skylake"));
        Assert.Equal("cpu_template", e.Field);
        Assert.Contains("skylake", e.Message);
        Assert.Contains("compat", e.Message);
        Assert.Contains("host", e.Message);
    }

    [Fact]
    public void A_missing_initrd_names_initrd_path()
    {
        var e = Refused(Config(initrd: Path.Combine(_dir.FullName, "initrd.img")));
        Assert.Equal("initrd_path", e.Field);
        Assert.Contains("no such file", e.Message);
    }

    [Theory]
    [InlineData("console=ttyS0\nroot=/dev/vda")]
    [InlineData("console=ttyS0\u0007")]
    public void Boot_args_with_a_control_character_name_boot_args(string bootArgs)
    {
        var e = Refused(Config(bootArgs: bootArgs));
        Assert.Equal("boot_args", e.Field);
        Assert.Contains("not printable", e.Message);
    }

    [Fact]
    public void Boot_args_longer_than_the_kernel_limit_name_boot_args()
    {
        Assert.Equal("boot_args", Refused(Config(bootArgs: new string('a', 70_000))).Field);
    }

    [Fact]
    public void The_vcpu_count_is_checked_before_the_files()
    {
        // Both are wrong; the first field in the config's order is reported.
        Assert.Equal("vcpu_count", Refused(Config(vcpus: 0, kernel: "/nonexistent")).Field);
    }
}
