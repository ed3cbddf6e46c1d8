using SharpVirt.Memory;

namespace SharpVirt.Boot.Tests.Loaders;

public sealed class BzImageLoaderTests : IDisposable
{
    private const ulong MiB = 1UL << 20;
    private readonly GuestMemory _memory = GuestMemory.Create([(0, 16 * MiB)]);

    public void Dispose() => _memory.Dispose();

    [Fact]
    public void The_protected_mode_kernel_goes_to_1_MiB_and_is_entered_at_its_64_bit_entry()
    {
        var builder = new BzImageBuilder();
        var image = builder.Build();

        var kernel = BzImageLoader.Load(_memory, image, "bzImage");

        Assert.Equal(KernelFormat.BzImage, kernel.Format);
        Assert.Equal(0x100200UL, kernel.EntryAddress);
        Assert.Null(kernel.PvhEntry);
        var loaded = new byte[builder.KernelSize];
        _memory.Read(0x100000, loaded);
        Assert.Equal(image[builder.KernelOffset..], loaded);
        // Nothing of the real-mode setup lands below 1 MiB.
        Assert.Equal(0UL, _memory.Read<ulong>(0x100000 - 8));
    }

    [Fact]
    public void The_setup_header_bytes_are_kept_for_boot_params()
    {
        var image = new BzImageBuilder { SetupSectors = 6, JumpDisplacement = 0x6a }.Build();

        var kernel = BzImageLoader.Load(_memory, image, "bzImage");

        Assert.Equal(image[0x1f1..0x26c], kernel.SetupHeader);
        Assert.Equal(6, kernel.SetupHeader[0]);
    }

    [Fact]
    public void The_load_end_covers_init_size_when_it_exceeds_the_file()
    {
        var kernel = BzImageLoader.Load(_memory, new BzImageBuilder { KernelSize = 0x3000, InitSize = 0x80_0000 }.Build(), "bzImage");
        Assert.Equal(MiB + 0x80_0000, kernel.LoadEnd);

        var small = BzImageLoader.Load(_memory, new BzImageBuilder { KernelSize = 0x3000, InitSize = 0x1000 }.Build(), "bzImage");
        Assert.Equal(MiB + 0x3000, small.LoadEnd);
    }

    [Theory]
    [InlineData(0x1fff_ffffU, 0x1fff_ffffUL)]
    [InlineData(0U, 0x37ff_ffffUL)] // protocol default when the header leaves it 0
    public void The_initrd_limit_comes_from_initrd_addr_max(uint headerValue, ulong expected)
    {
        var kernel = BzImageLoader.Load(_memory, new BzImageBuilder { InitrdAddrMax = headerValue }.Build(), "bzImage");
        Assert.Equal(expected, kernel.InitrdAddressMax);
    }

    [Fact]
    public void Setup_sects_zero_means_four_sectors()
    {
        var builder = new BzImageBuilder { SetupSectors = 0 };
        var image = builder.Build();
        BzImageLoader.Load(_memory, image, "bzImage");
        Assert.Equal(image[(5 * 512)..(5 * 512 + 16)], _memory.GetSpan(0x100000, 16).ToArray());
    }

    [Fact]
    public void Without_HdrS_it_is_not_a_kernel()
    {
        var image = new BzImageBuilder { Magic = 0x1234_5678 }.Build();
        Assert.False(BzImageLoader.IsBzImage(image));
        var e = Assert.Throws<BootException>(() => BzImageLoader.Load(_memory, image, "vmlinuz-test"));
        Assert.Equal(BootErrorKind.NotAKernel, e.Kind);
        Assert.StartsWith("vmlinuz-test:", e.Message);
    }

    [Fact]
    public void Without_the_0xAA55_boot_flag_it_is_not_a_kernel()
    {
        var image = new BzImageBuilder { BootFlag = 0 }.Build();
        Assert.Equal(BootErrorKind.NotAKernel, Assert.Throws<BootException>(() => BzImageLoader.Load(_memory, image, "k")).Kind);
    }

    [Fact]
    public void A_file_shorter_than_the_header_is_not_a_kernel()
    {
        Assert.Equal(BootErrorKind.NotAKernel, Assert.Throws<BootException>(() => BzImageLoader.Load(_memory, new byte[0x100], "k")).Kind);
        Assert.False(BzImageLoader.IsBzImage([]));
    }

    [Theory]
    [InlineData(0x0205, 0x1)] // older than 2.06
    [InlineData(0x0200, 0x1)]
    [InlineData(0x020b, 0x1)] // before 2.12 xloadflags does not exist, so no 64-bit entry is promised
    [InlineData(0x020f, 0x0)] // no XLF_KERNEL_64
    [InlineData(0x020f, 0x2)] // XLF_CAN_BE_LOADED_ABOVE_4G alone
    public void Kernels_without_a_usable_64_bit_boot_protocol_are_unsupported(ushort version, ushort xloadflags)
    {
        var image = new BzImageBuilder { Version = version, XLoadFlags = xloadflags }.Build();
        var e = Assert.Throws<BootException>(() => BzImageLoader.Load(_memory, image, "old"));
        Assert.Equal(BootErrorKind.UnsupportedProtocol, e.Kind);
        Assert.Equal(0UL, _memory.Read<ulong>(0x100000));
    }

    [Fact]
    public void The_protocol_version_is_named_in_the_message()
    {
        var image = new BzImageBuilder { Version = 0x0205 }.Build();
        Assert.Contains("2.05", Assert.Throws<BootException>(() => BzImageLoader.Load(_memory, image, "old")).Message);
    }

    [Fact]
    public void Setup_sects_pointing_past_the_end_of_the_file_is_malformed()
    {
        var image = new BzImageBuilder { SetupSectors = 4, KernelSize = 0 }.Build();
        image[0x1f1] = 200;
        var e = Assert.Throws<BootException>(() => BzImageLoader.Load(_memory, image, "k"));
        Assert.Equal(BootErrorKind.Malformed, e.Kind);
        Assert.Contains("setup_sects", e.Message);
    }

    [Fact]
    public void A_file_that_ends_right_after_the_setup_sectors_is_malformed()
    {
        var image = new BzImageBuilder { KernelSize = 0 }.Build();
        Assert.Equal(BootErrorKind.Malformed, Assert.Throws<BootException>(() => BzImageLoader.Load(_memory, image, "k")).Kind);
    }

    [Fact]
    public void A_truncated_setup_header_is_malformed_not_a_crash()
    {
        var image = new BzImageBuilder().Build()[..0x220];
        Assert.True(BzImageLoader.IsBzImage(image));
        var e = Assert.Throws<BootException>(() => BzImageLoader.Load(_memory, image, "truncated"));
        Assert.Equal(BootErrorKind.Malformed, e.Kind);
    }

    [Fact]
    public void A_kernel_larger_than_guest_memory_does_not_fit()
    {
        using var small = GuestMemory.Create([(0, 2 * MiB)]);
        var image = new BzImageBuilder { KernelSize = (int)MiB + 0x1000, InitSize = 0 }.Build();
        var e = Assert.Throws<BootException>(() => BzImageLoader.Load(small, image, "big"));
        Assert.Equal(BootErrorKind.DoesNotFit, e.Kind);
    }

    [Fact]
    public void An_init_size_larger_than_guest_memory_does_not_fit_even_if_the_file_does()
    {
        using var small = GuestMemory.Create([(0, 2 * MiB)]);
        var image = new BzImageBuilder { KernelSize = 0x1000, InitSize = (uint)(2 * MiB) }.Build();
        Assert.Equal(BootErrorKind.DoesNotFit, Assert.Throws<BootException>(() => BzImageLoader.Load(small, image, "big")).Kind);

        // The same image fits once there is room for init_size above 1 MiB.
        using var enough = GuestMemory.Create([(0, 3 * MiB)]);
        Assert.Equal(3 * MiB, BzImageLoader.Load(enough, image, "big").LoadEnd);
    }
}
