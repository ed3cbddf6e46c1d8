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
    public static VmSpec Create(VmConfig config, long? hostMemoryBytes = null)
    {
        var machine = config.Machine;
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

        var template = CpuTemplate.Find(machine.CpuTemplate) ?? throw new ConfigException("cpu_template",
            $"unknown template '{machine.CpuTemplate}'; known: {string.Join(", ", CpuTemplate.All.Select(t => t.Name))}");

        var boot = config.BootSource;
        var kernel = ReadFile("kernel_image_path", boot.KernelImagePath);
        if (!BzImageLoader.IsBzImage(kernel) && !ElfLoader.IsElf(kernel))
        {
            throw new ConfigException("kernel_image_path", $"{boot.KernelImagePath} is not a bzImage or ELF kernel");
        }

        var initrd = boot.InitrdPath is { } path ? ReadFile("initrd_path", path) : null;
        var cmdline = (boot.BootArgs ?? KernelCmdline.Default) + (template.LinuxArguments.Length > 0 ? " " + template.LinuxArguments : "");
        try
        {
            KernelCmdline.Encode(cmdline);
        }
        catch (BootException e)
        {
            throw new ConfigException("boot_args", e.Message);
        }

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
            Drives = Drives(config.Drives),
        };
    }

    /// <summary>The most disks one VM takes (each uses a virtio-mmio slot and an IOAPIC pin).</summary>
    public const int MaxDrives = 16;

    private static DriveSpec[] Drives(IReadOnlyList<DriveConfig> drives)
    {
        if (drives.Count > MaxDrives)
        {
            throw new ConfigException("drives", $"{drives.Count} drives: at most {MaxDrives}");
        }

        var result = new DriveSpec[drives.Count];
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < drives.Count; i++)
        {
            var d = drives[i];
            var field = $"drives[{i}]";
            var id = d.DriveId ?? "vd" + (char)('a' + i);
            if (!ids.Add(id))
            {
                throw new ConfigException($"{field}.drive_id", $"'{id}' is used by another drive");
            }

            if (string.IsNullOrWhiteSpace(d.PathOnHost) || !File.Exists(d.PathOnHost))
            {
                throw new ConfigException($"{field}.path_on_host",
                    Directory.Exists(d.PathOnHost) ? $"{d.PathOnHost} is a directory, not an image file" : $"{d.PathOnHost}: no such file");
            }

            if (d.Serial is { Length: > 20 })
            {
                throw new ConfigException($"{field}.serial", $"'{d.Serial}' is {d.Serial.Length} bytes; virtio-blk serials hold at most 20");
            }

            result[i] = new DriveSpec(id, d.PathOnHost, d.IsReadOnly, d.Serial);
        }

        return result;
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
