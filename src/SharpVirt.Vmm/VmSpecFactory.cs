using SharpVirt.Boot;
using SharpVirt.Contracts;
using SharpVirt.Interop;
using SharpVirt.Vmm.Cpu;

namespace SharpVirt.Vmm;

/// <summary>Validates a <see cref="VmConfig"/> (files, sizes, counts) and reads its files into a <see cref="VmSpec"/>.</summary>
public static class VmSpecFactory
{
    /// <summary>The smallest guest the VMM accepts.</summary>
    public const long MinMemoryMib = 16;

    /// <summary>The most vCPUs the VMM's ACPI/MP tables describe (xAPIC IDs 0..254).</summary>
    public const int MaxVcpus = 255;

    /// <summary>Checks every field and reads the kernel and initrd; throws <see cref="ConfigException"/> naming the field.</summary>
    public static VmSpec Create(VmConfig config, long? hostMemoryBytes = null) => Create(config, hostMemoryBytes, readBootFiles: true);

    /// <summary>
    /// The spec of a VM restored from a snapshot: the same checks, but the kernel and initrd are not read (guest
    /// memory already holds the booted kernel; they may be gone from the host).
    /// </summary>
    public static VmSpec ForRestore(VmConfig config) => Create(config, null, readBootFiles: false);

    /// <summary>
    /// <see cref="ForRestore"/> for a guest arriving by live migration: its vsock and console sockets may still be
    /// listened on by the source VMM on this host, and are taken over (bound anew) when the guest arrives.
    /// </summary>
    public static VmSpec ForMigration(VmConfig config) => Create(config, null, readBootFiles: false, takeOverSockets: true);

    private static VmSpec Create(VmConfig config, long? hostMemoryBytes, bool readBootFiles, bool takeOverSockets = false)
    {
        var machine = config.Machine;
        var template = CheckMachine(machine, hostMemoryBytes);
        var boot = config.BootSource;
        var (kernel, initrd) = readBootFiles ? ReadBootFiles(boot) : ([], null);
        var cmdline = (boot.BootArgs ?? KernelCmdline.Default) + (template.LinuxArguments.Length > 0 ? " " + template.LinuxArguments : "");
        try
        {
            KernelCmdline.Encode(cmdline);
        }
        catch (BootException e)
        {
            throw new ConfigException("boot_args", e.Message);
        }

        var drives = DeviceSpecFactory.Drives(config.Drives);
        var nets = DeviceSpecFactory.Nets(config.NetworkInterfaces);
        DeviceSpecFactory.CheckDeviceCount(drives.Length + nets.Length + (config.Entropy is null ? 0 : 1)
            + (config.Balloon is null ? 0 : 1) + (config.Vsock is null ? 0 : 1) + (config.Console is null ? 0 : 1));
        return new VmSpec
        {
            Kernel = kernel,
            KernelName = boot.KernelImagePath,
            Initrd = initrd,
            Cmdline = cmdline,
            VcpuCount = machine.VcpuCount,
            MemoryBytes = (ulong)machine.MemSizeMib << 20,
            CpuTemplate = template,
            Entropy = config.Entropy is not null,
            Drives = drives,
            Nets = nets,
            Balloon = DeviceSpecFactory.Balloon(config.Balloon, machine.MemSizeMib),
            Vsock = DeviceSpecFactory.Vsock(config.Vsock, takeOverSockets),
            Console = DeviceSpecFactory.Console(config.Console, takeOverSockets),
        };
    }

    /// <summary>Checks vCPUs, memory and the CPU template; returns the template.</summary>
    internal static CpuTemplate CheckMachine(MachineConfig machine, long? hostMemoryBytes = null)
    {
        if (machine.VcpuCount < 1 || machine.VcpuCount > MaxVcpus)
        {
            throw new ConfigException("vcpu_count", $"{machine.VcpuCount} vCPUs: must be between 1 and {MaxVcpus}");
        }

        var hostMemory = hostMemoryBytes ?? HostMemoryBytes();
        if (machine.MemSizeMib < MinMemoryMib)
        {
            throw new ConfigException("mem_size_mib", $"{machine.MemSizeMib} MiB is too small: the minimum is {MinMemoryMib} MiB");
        }

        if (machine.MemSizeMib > hostMemory >> 20)
        {
            throw new ConfigException("mem_size_mib", $"{machine.MemSizeMib} MiB is more than this host's {hostMemory >> 20} MiB of RAM");
        }

        return CpuTemplate.Find(machine.CpuTemplate) ?? throw new ConfigException("cpu_template",
            $"unknown template '{machine.CpuTemplate}'; known: {string.Join(", ", CpuTemplate.All.Select(t => t.Name))}");
    }

    /// <summary>Reads the kernel (which must be a bzImage or ELF) and the initrd, if any.</summary>
    internal static (byte[] Kernel, byte[]? Initrd) ReadBootFiles(BootSourceConfig boot)
    {
        var kernel = ReadFile("kernel_image_path", boot.KernelImagePath);
        if (!BzImageLoader.IsBzImage(kernel) && !ElfLoader.IsElf(kernel))
        {
            throw new ConfigException("kernel_image_path", $"{boot.KernelImagePath} is not a bzImage or ELF kernel");
        }

        return (kernel, boot.InitrdPath is { } path ? ReadFile("initrd_path", path) : null);
    }

    /// <summary>Physical RAM of this host.</summary>
    public static long HostMemoryBytes() => LibC.sysconf(LibC.SC_PHYS_PAGES) * LibC.sysconf(LibC.SC_PAGESIZE);

    private static byte[] ReadFile(string field, string path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new ConfigException(field, "no file given");
        }

        try
        {
            if (Directory.Exists(path))
            {
                throw new ConfigException(field, $"{path} is a directory, not a file");
            }

            return File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            throw new ConfigException(field, $"{path}: no such file");
        }
        catch (DirectoryNotFoundException)
        {
            throw new ConfigException(field, $"{path}: no such file");
        }
        catch (UnauthorizedAccessException)
        {
            throw new ConfigException(field, $"{path}: permission denied");
        }
        catch (IOException e)
        {
            throw new ConfigException(field, $"{path}: {e.Message}");
        }
    }
}
