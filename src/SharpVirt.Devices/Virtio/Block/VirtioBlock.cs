using System.Buffers.Binary;
using System.Text;
using SharpVirt.Devices.EventLoop;
using SharpVirt.Devices.RateLimiting;

namespace SharpVirt.Devices.Virtio.Block;

/// <summary>
/// The virtio block device (virtio 1.2, section 5.2) backed by a raw image file: one request queue serving
/// IN, OUT, FLUSH, GET_ID, and on writable images DISCARD and WRITE_ZEROES (holes punched in the file). Requests are
/// parsed on the device's "virtio-blk" loop thread and their I/O runs on a few I/O threads; an optional rate limiter
/// holds requests back (bytes/s and requests/s) without blocking the loop.
/// </summary>
public sealed class VirtioBlock : VirtioDevice
{
    /// <summary>The virtio device ID of a block device.</summary>
    public const uint BlockDeviceType = 2;

    /// <summary>The largest request queue the device accepts.</summary>
    public const ushort QueueMaxSize = 256;

    /// <summary>The sector (and logical block) size in bytes.</summary>
    public const int SectorSize = BlockImage.SectorSize;

    /// <summary>
    /// The seg_max the device advertises: data buffers per request, the whole queue minus header and status (as
    /// QEMU). Fewer split the guest's large requests: with 126, a 1 MiB O_DIRECT read became three requests.
    /// </summary>
    public const uint SegMax = QueueMaxSize - 2;

    /// <summary>VIRTIO_BLK_F_SEG_MAX: seg_max in the configuration space is valid.</summary>
    public const int FeatureSegMax = 2;

    /// <summary>VIRTIO_BLK_F_RO: the device is read-only.</summary>
    public const int FeatureReadOnly = 5;

    /// <summary>VIRTIO_BLK_F_BLK_SIZE: blk_size in the configuration space is valid.</summary>
    public const int FeatureBlockSize = 6;

    /// <summary>VIRTIO_BLK_F_FLUSH: the device supports the FLUSH command.</summary>
    public const int FeatureFlush = 9;

    /// <summary>VIRTIO_BLK_F_DISCARD: the device supports DISCARD.</summary>
    public const int FeatureDiscard = 13;

    /// <summary>VIRTIO_BLK_F_WRITE_ZEROES: the device supports WRITE_ZEROES.</summary>
    public const int FeatureWriteZeroes = 14;

    /// <summary>Size of the configuration space the device fills (up to and including write_zeroes_may_unmap's padding).</summary>
    public const int ConfigSize = 60;

    private readonly byte[] _serial;
    private BlockImage _image;
    private BlockIo _io;
    private readonly byte[] _config = new byte[ConfigSize];

    /// <summary>Opens the raw image at <paramref name="path"/> and creates the device.</summary>
    /// <param name="path">The image file. Read-write images are locked exclusively, read-only ones shared.</param>
    /// <param name="readOnly">Whether the guest may only read (VIRTIO_BLK_F_RO is offered and writes fail).</param>
    /// <param name="serial">The id returned by GET_ID; its UTF-8 bytes are cut to 20. None gives an empty id.</param>
    /// <param name="rateLimiter">Limits requests (one operation each) and bytes read or written; null: unlimited.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="BlockImageException">The image does not exist, may not be opened, or is in use (the message names the path).</exception>
    public VirtioBlock(string path, bool readOnly, string? serial = null, RateLimiter? rateLimiter = null)
        : base("virtio-blk", QueueMaxSize)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _image = BlockImage.Open(path, readOnly);
        RateLimiter = rateLimiter ?? RateLimiter.Unlimited();
        var serialBytes = Encoding.UTF8.GetBytes(serial ?? string.Empty);
        if (serialBytes.Length > BlockRequestType.IdBytes)
        {
            serialBytes = serialBytes[..BlockRequestType.IdBytes];
        }

        _serial = serialBytes;
        _io = new BlockIo(_image, serialBytes, Metrics);
        var config = _config.AsSpan();
        BinaryPrimitives.WriteUInt64LittleEndian(config, _image.CapacitySectors);
        // size_max at 8 stays 0 (VIRTIO_BLK_F_SIZE_MAX is not offered); geometry at 16 and topology at 24 stay zero.
        BinaryPrimitives.WriteUInt32LittleEndian(config[12..], SegMax);
        BinaryPrimitives.WriteUInt32LittleEndian(config[20..], SectorSize);
        var features = VirtioFeatures.Bit(VirtioFeatures.Version1)
            | VirtioFeatures.Bit(VirtioFeatures.RingIndirectDesc)
            | VirtioFeatures.Bit(VirtioFeatures.RingEventIdx)
            | VirtioFeatures.Bit(FeatureSegMax)
            | VirtioFeatures.Bit(FeatureBlockSize)
            | VirtioFeatures.Bit(FeatureFlush);
        if (readOnly)
        {
            AvailableFeatures = features | VirtioFeatures.Bit(FeatureReadOnly);
            return;
        }

        AvailableFeatures = features | VirtioFeatures.Bit(FeatureDiscard) | VirtioFeatures.Bit(FeatureWriteZeroes);
        BinaryPrimitives.WriteUInt32LittleEndian(config[36..], BlockDiscard.MaxSectors); // max_discard_sectors
        BinaryPrimitives.WriteUInt32LittleEndian(config[40..], BlockDiscard.MaxSegments); // max_discard_seg
        BinaryPrimitives.WriteUInt32LittleEndian(config[44..], BlockDiscard.SectorAlignment); // discard_sector_alignment
        BinaryPrimitives.WriteUInt32LittleEndian(config[48..], BlockDiscard.MaxSectors); // max_write_zeroes_sectors
        BinaryPrimitives.WriteUInt32LittleEndian(config[52..], BlockDiscard.MaxSegments); // max_write_zeroes_seg
        config[56] = 1; // write_zeroes_may_unmap
    }

    /// <summary>The device's counters.</summary>
    public BlockMetrics Metrics { get; } = new();

    /// <summary>Limits on requests and bytes; reconfigurable while the guest runs.</summary>
    public RateLimiter RateLimiter { get; }

    /// <summary>
    /// Serves the disk from another image while the guest runs (a live "change medium"): requests in flight finish on
    /// the old image, later ones go to the new; the guest is told the capacity may have changed. The old image is
    /// closed (and its lock released).
    /// </summary>
    /// <exception cref="BlockImageException">The new image cannot be opened; the old one stays.</exception>
    public void ReplaceImage(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var image = BlockImage.Open(path, ReadOnly);
        var old = _image;
        ReplaceBackend(() =>
        {
            _image = image;
            _io = new BlockIo(image, _serial, Metrics);
            BinaryPrimitives.WriteUInt64LittleEndian(_config, image.CapacitySectors);
        });
        old.Dispose();
    }

    /// <summary>Flushes the image and lets another VMM lock it (a live migration's handover).</summary>
    public override string? ReleaseHost()
    {
        _image.Flush();
        return _image.Unlock();
    }

    /// <inheritdoc />
    public override string? ReclaimHost() => _image.Relock();

    /// <summary>Makes every write the guest has completed durable on the host (fdatasync).</summary>
    public void Flush() => _image.Flush();

    /// <summary>The image path.</summary>
    public string ImagePath => _image.Path;

    /// <summary>Whether the device is read-only.</summary>
    public bool ReadOnly => _image.ReadOnly;

    /// <summary>The capacity in 512-byte sectors (the image length rounded down).</summary>
    public ulong CapacitySectors => _image.CapacitySectors;

    /// <inheritdoc />
    public override uint DeviceType => BlockDeviceType;

    /// <inheritdoc />
    public override ulong AvailableFeatures { get; }

    /// <summary>Reads struct virtio_blk_config (little-endian); bytes past <see cref="ConfigSize"/> read as zero.</summary>
    public override void ReadConfig(uint offset, Span<byte> data) => ReadConfigBytes(_config, offset, data);

    /// <inheritdoc />
    protected override IDisposable? StartSession(VirtioActivation activation, DeviceEventLoop loop)
    {
        if (activation.Queues.Count < 1)
        {
            // A transport bug rather than a guest one, but the device must still not fall over.
            Metrics.AddBrokenQueue();
            return null;
        }

        var discard = (activation.AckedFeatures & (VirtioFeatures.Bit(FeatureDiscard) | VirtioFeatures.Bit(FeatureWriteZeroes))) != 0;
        var server = new BlockQueueServer(_io, _image, activation.Memory, Metrics, RateLimiter, loop, discard);
        server.Queue = WatchRequests(activation, loop, 0, server);
        return server;
    }

    /// <inheritdoc />
    protected override void OnFault(Exception exception) => Metrics.Errors.Increment();

    /// <summary>Closes the image.</summary>
    protected override void DisposeResources() => _image.Dispose();
}
