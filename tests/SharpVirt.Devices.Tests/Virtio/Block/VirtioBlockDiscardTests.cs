using System.Buffers.Binary;
using SharpVirt.Devices.Tests.Virtio.Rng;
using static SharpVirt.Devices.Tests.Virtio.Block.BlockTestRig;

namespace SharpVirt.Devices.Tests.Virtio.Block;

/// <summary>DISCARD and WRITE_ZEROES against a real image file: holes are punched, zeros read back, bad segments refused.</summary>
public sealed class VirtioBlockDiscardTests : IDisposable
{
    private const int ImageBytes = 1 << 20;
    private readonly BlockTestRig _rig = new(imageBytes: ImageBytes);

    public void Dispose() => _rig.Dispose();

    private byte Submit(uint type, int segments)
    {
        _rig.WriteHeader(type, 0);
        _rig.PoisonStatus();
        var used = _rig.Driver.UsedIdx;
        _rig.Driver.AddChain((Header, 16, false), (Data, (uint)(segments * 16), false), (Status, 1, true));
        _rig.Notify();
        _rig.WaitForUsed(used + 1);
        return _rig.StatusByte();
    }

    [Fact]
    public void Config_space_advertises_the_discard_limits_and_read_only_disks_offer_neither_feature()
    {
        var config = new byte[60];
        _rig.Device.ReadConfig(0, config);
        Assert.Equal(1u << 22, BinaryPrimitives.ReadUInt32LittleEndian(config.AsSpan(36))); // max_discard_sectors
        Assert.Equal(32u, BinaryPrimitives.ReadUInt32LittleEndian(config.AsSpan(40))); // max_discard_seg
        Assert.Equal(8u, BinaryPrimitives.ReadUInt32LittleEndian(config.AsSpan(44))); // discard_sector_alignment
        Assert.Equal(1u << 22, BinaryPrimitives.ReadUInt32LittleEndian(config.AsSpan(48)));
        Assert.Equal(32u, BinaryPrimitives.ReadUInt32LittleEndian(config.AsSpan(52)));
        Assert.Equal(1, config[56]); // write_zeroes_may_unmap

        using var readOnly = new BlockTestRig(readOnly: true);
        Assert.Equal(0UL, readOnly.Device.AvailableFeatures & ((1UL << 13) | (1UL << 14)));
        var roConfig = new byte[60];
        readOnly.Device.ReadConfig(0, roConfig);
        Assert.All(roConfig[36..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void Discard_punches_holes_that_read_as_zeros_and_frees_the_blocks()
    {
        _rig.Activate(DiscardFeatures);
        var before = _rig.AllocatedBytes();
        // Two 128 KiB ranges; sectors 512..767 and 1024..1279.
        _rig.WriteSegments(Data, (512, 256, 0), (1024, 256, 0));

        Assert.Equal(0, Submit(Discard, 2));

        var image = _rig.ReadImage();
        Assert.All(image[(512 * 512)..(768 * 512)], b => Assert.Equal(0, b));
        Assert.All(image[(1024 * 512)..(1280 * 512)], b => Assert.Equal(0, b));
        Assert.Equal(unchecked((byte)((768 * 512) * 7)), image[768 * 512]); // the neighbours are untouched
        Assert.True(_rig.AllocatedBytes() <= before - (200 * 1024), $"allocated {before} -> {_rig.AllocatedBytes()} bytes");
        Assert.Equal(1, _rig.Device.Metrics.DiscardRequests.Value);
    }

    [Fact]
    public void Write_zeroes_zeroes_with_or_without_unmap()
    {
        _rig.Activate(DiscardFeatures);
        _rig.WriteSegments(Data, (8, 8, 0), (64, 16, 1));

        Assert.Equal(0, Submit(WriteZeroes, 2));

        var image = _rig.ReadImage();
        Assert.All(image[(8 * 512)..(16 * 512)], b => Assert.Equal(0, b));
        Assert.All(image[(64 * 512)..(80 * 512)], b => Assert.Equal(0, b));
        Assert.Equal(unchecked((byte)((16 * 512) * 7)), image[16 * 512]);
        Assert.Equal(1, _rig.Device.Metrics.WriteZeroesRequests.Value);
    }

    [Theory]
    [InlineData(2040UL, 16U, 0U, 1)] // past the end of the 2048-sector image
    [InlineData(0UL, (1U << 22) + 1, 0U, 1)] // more than max_discard_sectors
    [InlineData(ulong.MaxValue, 8U, 0U, 1)] // a sector number that overflows
    [InlineData(0UL, 8U, 1U, 2)] // the unmap flag on a discard: unsupported
    [InlineData(0UL, 8U, 4U, 2)] // a reserved flag
    public void A_bad_segment_refuses_the_whole_request_and_changes_nothing(ulong sector, uint sectors, uint flags, byte status)
    {
        _rig.Activate(DiscardFeatures);
        var before = _rig.ReadImage();
        // A good segment first: nothing of the request may be applied when a later one is bad.
        _rig.WriteSegments(Data, (16, 8, 0), (sector, sectors, flags));

        Assert.Equal(status, Submit(Discard, 2));

        Assert.Equal(before, _rig.ReadImage());
        Assert.Equal(0, _rig.Device.Metrics.DiscardRequests.Value);
    }

    [Theory]
    [InlineData(0)] // no segment at all
    [InlineData(33)] // more than max_discard_seg
    public void A_wrong_segment_count_is_an_io_error(int segments)
    {
        _rig.Activate(DiscardFeatures);
        Assert.Equal(1, Submit(Discard, segments));
        Assert.True(RngTestRig.WaitFor(() => _rig.Device.Metrics.Errors.Value == 1));
    }

    [Fact]
    public void A_segment_array_not_a_multiple_of_16_bytes_is_an_io_error()
    {
        _rig.Activate(DiscardFeatures);
        _rig.WriteHeader(Discard, 0);
        _rig.PoisonStatus();
        _rig.Driver.AddChain((Header, 16, false), (Data, 20, false), (Status, 1, true));
        _rig.Notify();
        _rig.WaitForUsed(1);
        Assert.Equal(1, _rig.StatusByte());
    }

    [Fact]
    public void Discard_is_unsupported_when_the_driver_did_not_negotiate_it_and_refused_on_a_read_only_disk()
    {
        _rig.Activate(); // VERSION_1 only
        _rig.WriteSegments(Data, (0, 8, 0));
        Assert.Equal(2, Submit(Discard, 1));

        using var readOnly = new BlockTestRig(readOnly: true);
        readOnly.Activate(DiscardFeatures);
        readOnly.WriteHeader(Discard, 0);
        readOnly.WriteSegments(Data, (0, 8, 0));
        readOnly.PoisonStatus();
        readOnly.Driver.AddChain((Header, 16, false), (Data, 16, false), (Status, 1, true));
        readOnly.Notify();
        readOnly.WaitForUsed(1);
        Assert.Equal(1, readOnly.StatusByte());
        Assert.Equal(1, readOnly.Device.Metrics.ReadOnlyRejections.Value);
    }
}
