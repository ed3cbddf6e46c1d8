namespace SharpVirt.Devices.Virtio.Transport.Mmio;

/// <summary>
/// The InterruptStatus register, the config generation and the level-triggered line behind them. Device threads
/// signal through per-activation <see cref="Handle"/>s while vCPU threads read and acknowledge, so all of it sits
/// behind one lock that never calls into the device. A reset retires the current handle: a device thread still
/// finishing a request after the reset cannot raise the line of the next driver.
/// </summary>
internal sealed class VirtioMmioInterruptLine
{
    private const uint ValidBits = VirtioMmioRegister.InterruptUsedBuffer | VirtioMmioRegister.InterruptConfigChange;

    private readonly Lock _lock = new();
    private readonly IInterruptTrigger _trigger;
    private uint _status;
    private uint _configGeneration;
    private bool _asserted;
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

    /// <summary>Clears the acknowledged causes and lowers the line once none remain.</summary>
    public void Acknowledge(uint bits)
    {
        lock (_lock)
        {
            _status &= ~bits;
            LowerIfIdle();
        }
    }

    /// <summary>Retires every handle, clears the status and the generation, lowers the line.</summary>
    public void Reset()
    {
        lock (_lock)
        {
            _epoch++;
            _status = 0;
            _configGeneration = 0;
            LowerIfIdle();
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
            if (!_asserted)
            {
                _asserted = true;
                _trigger.SetLevel(true);
            }
        }
    }

    private void LowerIfIdle()
    {
        if (_status == 0 && _asserted)
        {
            _asserted = false;
            _trigger.SetLevel(false);
        }
    }

    private sealed class Handle(VirtioMmioInterruptLine line, long epoch) : IVirtioInterrupt
    {
        public void SignalUsedBuffer(int queueIndex) => line.Signal(epoch, VirtioMmioRegister.InterruptUsedBuffer, configChanged: false);

        public void SignalConfigChange() => line.Signal(epoch, VirtioMmioRegister.InterruptConfigChange, configChanged: true);
    }
}
