using System.Buffers.Binary;
using SharpVirt.Memory;

namespace SharpVirt.Boot.Tests.Loaders;

/// <summary>Where the guest kernels built by scripts/ live; tests that need one skip when it is absent.</summary>
internal static class GuestKernels
{
    public static string Directory { get; } =
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "sharpvirt", "guest");

    public static string PathOf(string name) => Path.Combine(Directory, name);
}

/// <summary>A fact that needs a guest kernel file: skipped (xunit 2 has no dynamic skip) when the file is missing.</summary>
public sealed class GuestKernelFactAttribute : FactAttribute
{
    public GuestKernelFactAttribute(string fileName)
    {
        if (!File.Exists(GuestKernels.PathOf(fileName)))
        {
            Skip = $"{GuestKernels.PathOf(fileName)} is missing (build the guest kernels first)";
        }
    }
}

public sealed class RealKernelTests : IDisposable
{
    private const ulong MiB = 1UL << 20;
    private readonly GuestMemory _memory = GuestMemory.Create([(0, 256 * MiB)]);

    public void Dispose() => _memory.Dispose();

    [GuestKernelFact("vmlinux-microvm")]
    public void The_microvm_vmlinux_loads_at_16_MiB_with_a_PVH_entry()
    {
        var image = File.ReadAllBytes(GuestKernels.PathOf("vmlinux-microvm"));

        var kernel = ElfLoader.Load(_memory, image, "vmlinux-microvm");

        Assert.Equal(KernelFormat.Elf, kernel.Format);
        Assert.Equal(0x100_0000UL, kernel.EntryAddress);
        Assert.NotNull(kernel.PvhEntry);
        Assert.InRange(kernel.PvhEntry.Value, 0x100_0000UL, kernel.LoadEnd - 1);
        Assert.InRange(kernel.LoadEnd, 0x100_0000UL + 1, 256 * MiB);
        // The first instruction bytes at the entry are the start of the first PT_LOAD segment's data.
        var phOffset = BinaryPrimitives.ReadUInt64LittleEndian(image.AsSpan(32));
        var firstOffset = (int)BinaryPrimitives.ReadUInt64LittleEndian(image.AsSpan((int)phOffset + 8));
        Assert.Equal(image.AsSpan(firstOffset, 64).ToArray(), _memory.GetSpan(0x100_0000, 64).ToArray());
    }

    [GuestKernelFact("bzImage-microvm")]
    public void The_microvm_bzImage_is_entered_at_1_MiB_plus_0x200()
    {
        AssertBzImage("bzImage-microvm");
    }

    [GuestKernelFact("bzImage-cloud")]
    public void The_cloud_bzImage_is_entered_at_1_MiB_plus_0x200()
    {
        AssertBzImage("bzImage-cloud");
    }

    private void AssertBzImage(string name)
    {
        var image = File.ReadAllBytes(GuestKernels.PathOf(name));

        var kernel = BzImageLoader.Load(_memory, image, name);

        Assert.Equal(KernelFormat.BzImage, kernel.Format);
        Assert.Equal(0x100200UL, kernel.EntryAddress);
        Assert.Null(kernel.PvhEntry);
        Assert.Equal(image[0x1f1], kernel.SetupHeader[0]);
        Assert.Equal("HdrS"u8.ToArray(), kernel.SetupHeader[(0x202 - 0x1f1)..(0x206 - 0x1f1)]);
        var setupSectors = image[0x1f1] == 0 ? 4 : image[0x1f1];
        var kernelOffset = (setupSectors + 1) * 512;
        Assert.Equal(image.AsSpan(kernelOffset, 4096).ToArray(), _memory.GetSpan(0x100000, 4096).ToArray());
        var initSize = BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan(0x260));
        Assert.Equal(MiB + Math.Max((ulong)(image.Length - kernelOffset), initSize), kernel.LoadEnd);
        Assert.True(kernel.LoadEnd <= 256 * MiB);
    }
}
