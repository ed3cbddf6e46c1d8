using SharpVirt.Devices;

namespace SharpVirt.Devices.Tests.Legacy;

/// <summary>An interrupt line that records every level change and pulse.</summary>
public sealed class RecordingInterrupt : IInterruptTrigger
{
    private readonly Lock _lock = new();
    private readonly List<bool> _levels = [];
    private int _pulses;

    /// <summary>Every SetLevel call, in order.</summary>
    public IReadOnlyList<bool> Levels
    {
        get { lock (_lock) { return [.. _levels]; } }
    }

    /// <summary>The line's current level (false before any call).</summary>
    public bool Asserted
    {
        get { lock (_lock) { return _levels.Count > 0 && _levels[^1]; } }
    }

    public int Pulses
    {
        get { lock (_lock) { return _pulses; } }
    }

    public void SetLevel(bool asserted)
    {
        lock (_lock)
        {
            _levels.Add(asserted);
        }
    }

    public void Pulse()
    {
        lock (_lock)
        {
            _pulses++;
        }
    }
}
