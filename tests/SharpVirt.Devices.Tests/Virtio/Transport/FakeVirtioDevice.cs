using SharpVirt.Devices.Virtio;
using SharpVirt.Interop.Events;

namespace SharpVirt.Devices.Tests.Virtio.Transport;

/// <summary>A virtio device that records every call the transport makes; its config space is a byte array.</summary>
public sealed class FakeVirtioDevice(uint deviceType, ulong features, params ushort[] queueMaxSizes) : IVirtioDevice
{
    private readonly Lock _lock = new();
    private readonly List<VirtioActivation> _activations = [];
    private readonly List<int> _notifications = [];
    private readonly List<(uint Offset, int Length)> _configReads = [];
    private readonly List<(uint Offset, byte[] Data)> _configWrites = [];
    private int _resets;

    public byte[] Config { get; } = new byte[16];

    public uint DeviceType { get; } = deviceType;

    public ulong AvailableFeatures { get; } = features;

    public IReadOnlyList<ushort> QueueMaxSizes { get; } = queueMaxSizes;

    /// <summary>Never signalled here: the fake records <see cref="QueueNotify"/> calls instead.</summary>
    public IReadOnlyList<EventFd> QueueEvents { get; } = [];

    public IReadOnlyList<VirtioActivation> Activations { get { lock (_lock) { return [.. _activations]; } } }

    public IReadOnlyList<int> Notifications { get { lock (_lock) { return [.. _notifications]; } } }

    public IReadOnlyList<(uint Offset, int Length)> ConfigReads { get { lock (_lock) { return [.. _configReads]; } } }

    public IReadOnlyList<(uint Offset, byte[] Data)> ConfigWrites { get { lock (_lock) { return [.. _configWrites]; } } }

    public int Resets { get { lock (_lock) { return _resets; } } }

    public void ReadConfig(uint offset, Span<byte> data)
    {
        lock (_lock)
        {
            _configReads.Add((offset, data.Length));
            for (var i = 0; i < data.Length; i++)
            {
                var at = (ulong)offset + (ulong)i;
                data[i] = at < (ulong)Config.Length ? Config[at] : (byte)0;
            }
        }
    }

    public void WriteConfig(uint offset, ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            _configWrites.Add((offset, data.ToArray()));
        }
    }

    public void Activate(VirtioActivation activation)
    {
        lock (_lock)
        {
            _activations.Add(activation);
        }
    }

    public void QueueNotify(int queueIndex)
    {
        lock (_lock)
        {
            _notifications.Add(queueIndex);
        }
    }

    public void Pause()
    {
    }

    public void Resume()
    {
    }

    public IReadOnlyList<QueuePosition?> SaveQueuePositions() => [];

    public byte[]? SaveDeviceState() => null;

    public void RestoreDeviceState(byte[] state)
    {
    }

    public string? ReleaseHost() => null;

    public string? ReclaimHost() => null;

    public void Reset()
    {
        lock (_lock)
        {
            _resets++;
        }
    }
}
