namespace SharpVirt.Devices.Virtio.Transport.Mmio;

/// <summary>
/// The InterruptStatus register, the config generation and the edge-triggered line behind them (as Firecracker and
/// Cloud Hypervisor wire virtio-mmio): every signal sets its cause and sends one edge, which the VMM backs with an
/// irqfd, so a device thread interrupts the guest without a system call of ours on the vCPU's path. No edge is lost:
/// the driver reads and acknowledges every pending cause per interrupt and handles all used buffers, and an edge that
/// arrives while it does is latched by the local APIC and delivered after its EOI. Device threads signal through
/// per-activation <see cref="Handle"/>s while vCPU threads read and acknowledge, all behind one lock that never calls
/// into the device. A reset retires the current handle: a device thread still finishing a request after the reset
/// cannot interrupt the next driver.
/// </summary>
internal sealed class VirtioMmioInterruptLine
{
    private const uint ValidBits = VirtioMmioRegister.InterruptUsedBuffer | VirtioMmioRegister.InterruptConfigChange;

    private readonly Lock _lock = new();
    private readonly IInterruptTrigger _trigger;
    private uint _status;
    private uint _configGeneration;
    private long _epoch;

    public VirtioMmioInterruptLine(IInterruptTrigger trigger) => _trigger = trigger;

    /// <summary>The pending interrupt causes.</summary>
    public uint Status
    {
        get { lock (_lock) { return _status; } }
    }

    /// <summary>The configuration generation.</summary>
    public uint ConfigGeneration
    {
        get { lock (_lock) { return _configGeneration; } }
    }

    /// <summary>A handle for the device's next activation, valid until <see cref="Reset"/>.</summary>
    public IVirtioInterrupt CreateHandle()
    {
        lock (_lock)
        {
            return new Handle(this, _epoch);
        }
    }

    /// <summary>Clears the acknowledged causes.</summary>
    public void Acknowledge(uint bits)
    {
        lock (_lock)
        {
            _status &= ~bits;
        }
    }

    /// <summary>Retires every handle, clears the status and the generation.</summary>
    public void Reset()
    {
        lock (_lock)
        {
            _epoch++;
            _status = 0;
            _configGeneration = 0;
        }
    }

    /// <summary>Takes a snapshot's pending causes and generation; pulses the line if a cause is pending.</summary>
    public void Restore(uint status, uint configGeneration)
    {
        lock (_lock)
        {
            _status = status & ValidBits;
            _configGeneration = configGeneration;
            if (_status != 0)
            {
                _trigger.Pulse();
            }
        }
    }

    private void Signal(long epoch, uint bit, bool configChanged)
    {
        lock (_lock)
        {
            if (epoch != _epoch)
            {
                return;
            }

            if (configChanged)
            {
                _configGeneration = unchecked(_configGeneration + 1);
            }

            _status |= bit & ValidBits;
            _trigger.Pulse();
        }
    }

    private sealed class Handle(VirtioMmioInterruptLine line, long epoch) : IVirtioInterrupt
    {
        public void SignalUsedBuffer(int queueIndex) => line.Signal(epoch, VirtioMmioRegister.InterruptUsedBuffer, configChanged: false);

        public void SignalConfigChange() => line.Signal(epoch, VirtioMmioRegister.InterruptConfigChange, configChanged: true);
    }
}
