using System.Buffers.Binary;
using System.Text;
using SharpVirt.Devices.Virtio.Queue;

namespace SharpVirt.Devices.Virtio.Block;

/// <summary>
/// The virtio block device (virtio 1.2, section 5.2) backed by a raw image file: one request queue serving
/// IN, OUT, FLUSH and GET_ID. Requests are served on a dedicated "virtio-blk" thread started at
/// <see cref="Activate"/>; <see cref="QueueNotify"/> only wakes it. Discard and write-zeroes are not offered.
/// </summary>
public sealed class VirtioBlock : IVirtioDevice, IDisposable
{
    /// <summary>The virtio device ID of a block device.</summary>
    public const uint BlockDeviceType = 2;

    /// <summary>The largest request queue the device accepts.</summary>
    public const ushort QueueMaxSize = 256;

    /// <summary>The sector (and logical block) size in bytes.</summary>
    public const int SectorSize = BlockImage.SectorSize;

    /// <summary>The seg_max the device advertises: data buffers per request (queue size minus header and status).</summary>
    public const uint SegMax = 126;

    /// <summary>VIRTIO_BLK_F_SEG_MAX: seg_max in the configuration space is valid.</summary>
    public const int FeatureSegMax = 2;

    /// <summary>VIRTIO_BLK_F_RO: the device is read-only.</summary>
    public const int FeatureReadOnly = 5;

    /// <summary>VIRTIO_BLK_F_BLK_SIZE: blk_size in the configuration space is valid.</summary>
    public const int FeatureBlockSize = 6;

    /// <summary>VIRTIO_BLK_F_FLUSH: the device supports the FLUSH command.</summary>
    public const int FeatureFlush = 9;

    /// <summary>Size of the configuration space the device fills (up to and including blk_size).</summary>
    public const int ConfigSize = 24;

    private static readonly ushort[] QueueSizes = [QueueMaxSize];

    private readonly BlockImage _image;
    private readonly BlockRequestHandler _handler;
    private readonly byte[] _config = new byte[ConfigSize];
    private readonly QueueWorkerHost _host = new("virtio-blk");

    /// <summary>Opens the raw image at <paramref name="path"/> and creates the device.</summary>
    /// <param name="path">The image file. Read-write images are locked exclusively, read-only ones shared.</param>
    /// <param name="readOnly">Whether the guest may only read (VIRTIO_BLK_F_RO is offered and writes fail).</param>
    /// <param name="serial">The id returned by GET_ID; its UTF-8 bytes are cut to 20. None gives an empty id.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="BlockImageException">The image does not exist, may not be opened, or is in use (the message names the path).</exception>
    public VirtioBlock(string path, bool readOnly, string? serial = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _image = BlockImage.Open(path, readOnly);
        var serialBytes = Encoding.UTF8.GetBytes(serial ?? string.Empty);
        if (serialBytes.Length > BlockRequestType.IdBytes)
        {
            serialBytes = serialBytes[..BlockRequestType.IdBytes];
        }

        _handler = new BlockRequestHandler(_image, serialBytes, Metrics);
        BinaryPrimitives.WriteUInt64LittleEndian(_config.AsSpan(0), _image.CapacitySectors);
        // size_max at 8 stays 0 (VIRTIO_BLK_F_SIZE_MAX is not offered); geometry at 16 stays zero.
        BinaryPrimitives.WriteUInt32LittleEndian(_config.AsSpan(12), SegMax);
        BinaryPrimitives.WriteUInt32LittleEndian(_config.AsSpan(20), SectorSize);

        var features = VirtioFeatures.Bit(VirtioFeatures.Version1)
            | VirtioFeatures.Bit(VirtioFeatures.RingIndirectDesc)
            | VirtioFeatures.Bit(VirtioFeatures.RingEventIdx)
            | VirtioFeatures.Bit(FeatureSegMax)
            | VirtioFeatures.Bit(FeatureBlockSize)
            | VirtioFeatures.Bit(FeatureFlush);
        AvailableFeatures = readOnly ? features | VirtioFeatures.Bit(FeatureReadOnly) : features;
    }

    /// <summary>The device's counters.</summary>
    public BlockMetrics Metrics { get; } = new();

    /// <summary>The image path.</summary>
    public string ImagePath => _image.Path;

    /// <summary>Whether the device is read-only.</summary>
    public bool ReadOnly => _image.ReadOnly;

    /// <summary>The capacity in 512-byte sectors (the image length rounded down).</summary>
    public ulong CapacitySectors => _image.CapacitySectors;

    /// <inheritdoc />
    public uint DeviceType => BlockDeviceType;

    /// <inheritdoc />
    public ulong AvailableFeatures { get; }

    /// <inheritdoc />
    public IReadOnlyList<ushort> QueueMaxSizes => QueueSizes;

    /// <summary>Whether the device is activated and its worker thread is running.</summary>
    public bool IsActive => _host.IsActive;

    /// <summary>Reads struct virtio_blk_config (little-endian); bytes past <see cref="ConfigSize"/> read as zero.</summary>
    public void ReadConfig(uint offset, Span<byte> data)
    {
        data.Clear();
        if (offset >= ConfigSize)
        {
            return;
        }

        var available = _config.AsSpan((int)offset);
        available[..Math.Min(available.Length, data.Length)].CopyTo(data);
    }

    /// <summary>The configuration space is read-only here (no writeback toggle): writes are ignored.</summary>
    public void WriteConfig(uint offset, ReadOnlySpan<byte> data)
    {
    }

    /// <summary>Builds the request queue from what the driver negotiated and starts the worker thread.</summary>
    public void Activate(VirtioActivation activation)
    {
        if (!_host.Activate(activation, memory => new BlockQueueServer(_handler, memory, Metrics), this))
        {
            // A transport bug rather than a guest one, but the device must still not fall over.
            Metrics.AddBrokenQueue();
        }
    }

    /// <summary>Wakes the worker thread; returns at once (this runs on a vCPU thread).</summary>
    public void QueueNotify(int queueIndex) => _host.Notify(queueIndex);

    /// <summary>Stops the worker (waiting until it no longer touches guest memory) and drops the queue; the image stays open.</summary>
    public void Reset() => _host.Reset();

    /// <summary>Stops the worker thread and closes the image.</summary>
    public void Dispose()
    {
        if (_host.Dispose())
        {
            _image.Dispose();
        }
    }
}
