using System.Buffers.Binary;
using SharpVirt.Devices.Bus;
using SharpVirt.Memory;
using R = SharpVirt.Devices.Virtio.Transport.Mmio.VirtioMmioRegister;

namespace SharpVirt.Devices.Virtio.Transport.Mmio;

/// <summary>
/// The virtio-mmio transport, version 2 (virtio 1.2, section 4.2.2): the register window of one
/// <see cref="IVirtioDevice"/>, <see cref="VirtioMmioRegister.RegionSize"/> bytes long.
/// </summary>
/// <remarks>
/// Registers take aligned 32-bit accesses only; the configuration space at 0x100 takes 8-, 16- and 32-bit accesses and is
/// forwarded to the device. Anything else (other widths, offsets past the window, writes to read-only and reads of
/// write-only registers) reads as zero, is ignored and counted in <see cref="Metrics"/>: every value is the guest's.
/// Status transitions follow virtio 1.2 section 3.1.1 (ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK, each needing the
/// previous; bits are never cleared except by writing 0, which resets the device and every register). FEATURES_OK is
/// kept only if the driver's features are a subset of the device's and include VERSION_1. DRIVER_OK activates the device.
/// Queue registers change only while the queue is not ready and before DRIVER_OK; QueueReady=1 is refused for a size that
/// is not a power of 2, zero or above QueueNumMax, or for misaligned rings. Guest register accesses are serialized by one
/// lock, under which the device is called; device threads signal interrupts through a separate lock and never wait on it.
/// </remarks>
public sealed class VirtioMmioTransport : IBusDevice
{
    private const int RegisterWidth = 4;
    private const ulong ConfigSize = R.RegionSize - R.Config;
    private const VirtioDeviceStatus DriverSettableStatus =
        VirtioDeviceStatus.Acknowledge | VirtioDeviceStatus.Driver | VirtioDeviceStatus.FeaturesOk
        | VirtioDeviceStatus.DriverOk | VirtioDeviceStatus.Failed;

    private readonly Lock _lock = new();
    private readonly IVirtioDevice _device;
    private readonly GuestMemory _memory;
    private readonly VirtioMmioInterruptLine _interrupt;
    private readonly VirtioMmioQueue[] _queues;
    private readonly ulong _deviceFeatures;
    private VirtioDeviceStatus _status;
    private uint _deviceFeaturesSel;
    private uint _driverFeaturesSel;
    private ulong _driverFeatures;
    private uint _queueSel;

    /// <summary>Wraps <paramref name="device"/> in a virtio-mmio register window.</summary>
    /// <param name="device">The device behind the transport.</param>
    /// <param name="memory">Guest memory, handed to the device at activation.</param>
    /// <param name="interrupt">The device's level-triggered interrupt line.</param>
    public VirtioMmioTransport(IVirtioDevice device, GuestMemory memory, IInterruptTrigger interrupt)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(interrupt);
        _device = device;
        _memory = memory;
        _interrupt = new VirtioMmioInterruptLine(interrupt);
        _deviceFeatures = device.AvailableFeatures;
        _queues = [.. device.QueueMaxSizes.Select(max => new VirtioMmioQueue(max))];
    }

    /// <summary>The transport's counters.</summary>
    public VirtioMmioMetrics Metrics { get; } = new();

    /// <summary>The device behind the transport.</summary>
    public IVirtioDevice Device => _device;

    /// <summary>The current device status byte.</summary>
    public VirtioDeviceStatus Status
    {
        get { lock (_lock) { return _status; } }
    }

    /// <summary>The features the driver has written so far (acknowledged once FEATURES_OK is kept).</summary>
    public ulong DriverFeatures
    {
        get { lock (_lock) { return _driverFeatures; } }
    }

    /// <summary>A snapshot of every queue as the driver configured it.</summary>
    public IReadOnlyList<QueueConfig> Queues
    {
        get { lock (_lock) { return QueueConfigs(); } }
    }

    /// <inheritdoc />
    public void Read(ulong offset, Span<byte> data)
    {
        data.Clear();
        lock (_lock)
        {
            if (IsConfigAccess(offset, data.Length))
            {
                _device.ReadConfig((uint)(offset - R.Config), data);
            }
            else if (IsRegisterAccess(offset, data.Length))
            {
                BinaryPrimitives.WriteUInt32LittleEndian(data, ReadRegister(offset));
            }
            else
            {
                Metrics.InvalidAccesses.Increment();
            }
        }
    }

    /// <inheritdoc />
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            if (IsConfigAccess(offset, data.Length))
            {
                _device.WriteConfig((uint)(offset - R.Config), data);
            }
            else if (IsRegisterAccess(offset, data.Length))
            {
                WriteRegister(offset, BinaryPrimitives.ReadUInt32LittleEndian(data));
            }
            else
            {
                Metrics.InvalidAccesses.Increment();
            }
        }
    }

    /// <summary>The registers now (for a snapshot; the device is paused).</summary>
    public MmioTransportState SaveState()
    {
        lock (_lock)
        {
            return new MmioTransportState((uint)_status, _deviceFeaturesSel, _driverFeaturesSel, _driverFeatures, _queueSel,
                _interrupt.Status, _interrupt.ConfigGeneration,
                [.. _queues.Select(q => new MmioQueueState(q.Size, q.DescriptorTable, q.AvailableRing, q.UsedRing, q.Ready))]);
        }
    }

    /// <summary>
    /// Takes a snapshot's registers (on a transport just built); a device the driver had started is activated again, its queues continuing at
    /// <paramref name="positions"/>, and gets one interrupt so the driver looks at every queue.
    /// </summary>
    /// <exception cref="ArgumentException">The state does not fit this device (another queue count, a queue too large).</exception>
    public void RestoreState(MmioTransportState state, IReadOnlyList<QueuePosition?> positions)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(positions);
        lock (_lock)
        {
            if (state.Queues.Count != _queues.Length || state.Queues.Where((q, i) => q.Size > _queues[i].MaxSize).Any()
                || (state.DriverFeatures & ~_deviceFeatures) != 0)
            {
                throw new ArgumentException("the saved transport does not fit this device (queues or features differ)", nameof(state));
            }

            // The transport is new (built for the restore), so there is nothing to reset first.
            _status = (VirtioDeviceStatus)state.Status;
            (_deviceFeaturesSel, _driverFeaturesSel, _driverFeatures, _queueSel) =
                (state.DeviceFeaturesSel, state.DriverFeaturesSel, state.DriverFeatures, state.QueueSel);
            for (var i = 0; i < _queues.Length; i++)
            {
                var q = state.Queues[i];
                (_queues[i].Size, _queues[i].DescriptorTable, _queues[i].AvailableRing, _queues[i].UsedRing, _queues[i].Ready) =
                    (q.Size, q.DescriptorTable, q.AvailableRing, q.UsedRing, q.Ready);
            }

            _interrupt.Restore(state.InterruptStatus, state.ConfigGeneration);
            if ((_status & VirtioDeviceStatus.DriverOk) != 0 && (_status & VirtioDeviceStatus.Failed) == 0)
            {
                Activate(positions).SignalUsedBuffer(0);
            }
        }
    }

    private static bool IsConfigAccess(ulong offset, int length) =>
        length is 1 or 2 or 4 && offset >= R.Config && offset - R.Config <= ConfigSize - (ulong)length;

    private static bool IsRegisterAccess(ulong offset, int length) =>
        length == RegisterWidth && offset < R.Config && offset % RegisterWidth == 0;

    private VirtioMmioQueue? SelectedQueue => _queueSel < (uint)_queues.Length ? _queues[_queueSel] : null;

    private uint ReadRegister(ulong offset)
    {
        switch (offset)
        {
            case R.MagicValue:
                return R.Magic;
            case R.Version:
                return R.TransportVersion;
            case R.DeviceId:
                return _device.DeviceType;
            case R.VendorId:
                return R.SharpVirtVendorId;
            case R.DeviceFeatures:
                return _deviceFeaturesSel switch
                {
                    0 => (uint)_deviceFeatures,
                    1 => (uint)(_deviceFeatures >> 32),
                    _ => 0,
                };
            case R.QueueNumMax:
                return SelectedQueue?.MaxSize ?? 0u;
            case R.QueueReady:
                return SelectedQueue?.Ready == true ? 1u : 0u;
            case R.InterruptStatus:
                return _interrupt.Status;
            case R.Status:
                return (uint)_status;
            case R.ShmLenLow or R.ShmLenHigh or R.ShmBaseLow or R.ShmBaseHigh:
                return uint.MaxValue; // no shared memory regions: length -1 (section 4.2.2)
            case R.QueueReset:
                return 0;
            case R.ConfigGeneration:
                return _interrupt.ConfigGeneration;
            default:
                Metrics.InvalidAccesses.Increment(); // write-only or reserved
                return 0;
        }
    }

    private void WriteRegister(ulong offset, uint value)
    {
        switch (offset)
        {
            case R.DeviceFeaturesSel:
                _deviceFeaturesSel = value;
                break;
            case R.DriverFeaturesSel:
                _driverFeaturesSel = value;
                break;
            case R.DriverFeatures:
                WriteDriverFeatures(value);
                break;
            case R.QueueSel:
                _queueSel = value;
                break;
            case R.QueueNum or R.QueueReady or R.QueueDescLow or R.QueueDescHigh or R.QueueDriverLow
                or R.QueueDriverHigh or R.QueueDeviceLow or R.QueueDeviceHigh:
                WriteQueueRegister(offset, value);
                break;
            case R.QueueNotify:
                Notify(value);
                break;
            case R.InterruptAck:
                _interrupt.Acknowledge(value);
                break;
            case R.Status:
                WriteStatus(value);
                break;
            case R.ShmSel:
                break; // any region: none exists
            default:
                Metrics.InvalidAccesses.Increment(); // read-only or reserved
                break;
        }
    }

    private void WriteDriverFeatures(uint value)
    {
        if (_driverFeaturesSel > 1 || (_status & (VirtioDeviceStatus.FeaturesOk | VirtioDeviceStatus.DriverOk)) != 0)
        {
            Metrics.InvalidAccesses.Increment(); // no such half, or negotiation is over
            return;
        }

        _driverFeatures = VirtioMmioQueue.SetHalf(_driverFeatures, value, high: _driverFeaturesSel == 1);
    }

    private void WriteQueueRegister(ulong offset, uint value)
    {
        var queue = SelectedQueue;
        if (queue is null || (_status & VirtioDeviceStatus.DriverOk) != 0)
        {
            Metrics.InvalidAccesses.Increment();
            return;
        }

        if (offset == R.QueueReady)
        {
            SetQueueReady(queue, value);
            return;
        }

        if (queue.Ready)
        {
            Metrics.InvalidAccesses.Increment(); // the layout of a live queue is fixed
            return;
        }

        switch (offset)
        {
            case R.QueueNum: queue.Size = value; break;
            case R.QueueDescLow: queue.DescriptorTable = VirtioMmioQueue.SetHalf(queue.DescriptorTable, value, high: false); break;
            case R.QueueDescHigh: queue.DescriptorTable = VirtioMmioQueue.SetHalf(queue.DescriptorTable, value, high: true); break;
            case R.QueueDriverLow: queue.AvailableRing = VirtioMmioQueue.SetHalf(queue.AvailableRing, value, high: false); break;
            case R.QueueDriverHigh: queue.AvailableRing = VirtioMmioQueue.SetHalf(queue.AvailableRing, value, high: true); break;
            case R.QueueDeviceLow: queue.UsedRing = VirtioMmioQueue.SetHalf(queue.UsedRing, value, high: false); break;
            default: queue.UsedRing = VirtioMmioQueue.SetHalf(queue.UsedRing, value, high: true); break;
        }
    }

    private void SetQueueReady(VirtioMmioQueue queue, uint value)
    {
        if (value == 0)
        {
            queue.Ready = false;
        }
        else if (value == 1 && queue.IsValid)
        {
            queue.Ready = true;
        }
        else
        {
            Metrics.InvalidAccesses.Increment(); // bad size or misaligned rings: the queue stays off
        }
    }

    private void Notify(uint queueIndex)
    {
        if ((_status & VirtioDeviceStatus.DriverOk) == 0 || (_status & VirtioDeviceStatus.Failed) != 0
            || queueIndex >= (uint)_queues.Length || !_queues[queueIndex].Ready)
        {
            Metrics.InvalidAccesses.Increment();
            return;
        }

        Metrics.Notifications.Increment();
        _device.QueueNotify((int)queueIndex);
    }

    private void WriteStatus(uint value)
    {
        if (value == 0)
        {
            ResetTransport();
            return;
        }

        // DEVICE_NEEDS_RESET is the device's: a driver writing back what it read may carry it, and it is dropped.
        var requested = (VirtioDeviceStatus)(value & (uint)DriverSettableStatus);
        if ((value & ~(uint)(DriverSettableStatus | VirtioDeviceStatus.DeviceNeedsReset)) != 0 // reserved bits
            || (_status & DriverSettableStatus & ~requested) != 0 // bits are only cleared by a reset
            || !IsValidTransition(requested))
        {
            Metrics.InvalidAccesses.Increment();
            return;
        }

        var added = requested & ~_status;
        if ((added & VirtioDeviceStatus.FeaturesOk) != 0 && !AreDriverFeaturesAcceptable())
        {
            Metrics.FeaturesRejected.Increment();
            requested &= ~VirtioDeviceStatus.FeaturesOk; // the driver reads it back and gives up (section 3.1.1)
        }

        _status = requested | (_status & VirtioDeviceStatus.DeviceNeedsReset);
        if ((added & VirtioDeviceStatus.DriverOk) != 0 && (requested & VirtioDeviceStatus.Failed) == 0)
        {
            Activate();
        }
    }

    private bool IsValidTransition(VirtioDeviceStatus requested)
    {
        static bool Has(VirtioDeviceStatus status, VirtioDeviceStatus bit) => (status & bit) != 0;

        var added = requested & ~_status;
        return (!Has(added, VirtioDeviceStatus.Driver) || Has(requested, VirtioDeviceStatus.Acknowledge))
            && (!Has(added, VirtioDeviceStatus.FeaturesOk) || Has(requested, VirtioDeviceStatus.Driver))
            // DRIVER_OK needs FEATURES_OK already accepted: the driver must have read it back first.
            && (!Has(added, VirtioDeviceStatus.DriverOk) || Has(_status, VirtioDeviceStatus.FeaturesOk));
    }

    private bool AreDriverFeaturesAcceptable() =>
        (_driverFeatures & ~_deviceFeatures) == 0 && (_driverFeatures & VirtioFeatures.Bit(VirtioFeatures.Version1)) != 0;

    /// <summary>Starts the device with what was negotiated (a restore passes where its queues continue); returns its interrupt.</summary>
    private IVirtioInterrupt Activate(IReadOnlyList<QueuePosition?>? positions = null)
    {
        Metrics.Activations.Increment();
        var interrupt = _interrupt.CreateHandle();
        _device.Activate(new VirtioActivation(_memory, _driverFeatures, QueueConfigs(), interrupt) { Positions = positions });
        return interrupt;
    }

    private QueueConfig[] QueueConfigs() => [.. _queues.Select(q => q.ToConfig())];

    private void ResetTransport()
    {
        Metrics.Resets.Increment();
        _device.Reset();
        _interrupt.Reset();
        _status = VirtioDeviceStatus.None;
        _deviceFeaturesSel = 0;
        _driverFeaturesSel = 0;
        _driverFeatures = 0;
        _queueSel = 0;
        foreach (var queue in _queues)
        {
            queue.Reset();
        }
    }
}
