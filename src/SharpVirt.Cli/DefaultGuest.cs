namespace SharpVirt.Cli;

/// <summary>Where the default guest built by guest/build-guest.sh lives.</summary>
public static class DefaultGuest
{
    /// <summary>The cache directory ($SHARPVIRT_CACHE, else ~/.cache/sharpvirt).</summary>
    public static string CacheDirectory =>
        Environment.GetEnvironmentVariable("SHARPVIRT_CACHE") is { Length: > 0 } dir
            ? dir
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "sharpvirt");

    /// <summary>The guest image directory.</summary>
    public static string Directory => Path.Combine(CacheDirectory, "guest");

    private static readonly string[] KernelNames = ["vmlinux-microvm", "vmlinux-cloud", "bzImage-microvm", "bzImage-cloud"];

    /// <summary>The default kernel: the small microVM build if present, else Debian's cloud kernel.</summary>
    public static string? Kernel =>
        KernelNames
            .Select(name => Path.Combine(Directory, name))
            .FirstOrDefault(File.Exists);

    /// <summary>The default initramfs.</summary>
    public static string Initrd => Path.Combine(Directory, "initramfs.cpio");
}
