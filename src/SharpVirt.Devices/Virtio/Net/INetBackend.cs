using System.Runtime.InteropServices;
using SharpVirt.Interop.Net;

namespace SharpVirt.Devices.Virtio.Net;

/// <summary>
/// The host side of a virtio-net device: Ethernet frames, each with the 12-byte virtio-net header in front. A tap in the
/// VMM (<see cref="TapBackend"/>); a datagram socket pair in tests. Non-blocking; used from the device's loop thread.
/// </summary>
public interface INetBackend : IDisposable
{
    /// <summary>Readable when a frame waits (for the device's epoll).</summary>
    SafeHandle Handle { get; }

    /// <summary>Reads one frame into <paramref name="frame"/>; returns its length, or -1 when none waits.</summary>
    int Read(Span<byte> frame);

    /// <summary>Sends one frame; false when the backend dropped it.</summary>
    bool Write(ReadOnlySpan<byte> frame);

    /// <summary>Which offloaded frames (TUN_F_* flags) the backend may deliver: what the guest driver accepted.</summary>
    void SetOffload(uint tunFlags);

    /// <summary>Lets another process attach to the backend while this one stays open (see Tap.Detach); null, or why not.</summary>
    string? Detach() => null;

    /// <summary>Takes the backend back after <see cref="Detach"/>; null, or why not.</summary>
    string? Attach() => null;
}

/// <summary>A tap device as a virtio-net backend.</summary>
public sealed class TapBackend(Tap tap) : INetBackend
{
    /// <summary>The tap.</summary>
    public Tap Tap { get; } = tap;

    /// <inheritdoc />
    public SafeHandle Handle => Tap.Handle;

    /// <inheritdoc />
    public int Read(Span<byte> frame) => Tap.Read(frame);

    /// <inheritdoc />
    public bool Write(ReadOnlySpan<byte> frame) => Tap.Write(frame);

    /// <inheritdoc />
    public void SetOffload(uint tunFlags) => Tap.SetOffload(tunFlags);

    /// <inheritdoc />
    public string? Detach() => Tap.Detach(out var why) ? null : why;

    /// <inheritdoc />
    public string? Attach() => Tap.Attach(out var why) ? null : why;

    /// <inheritdoc />
    public void Dispose() => Tap.Dispose();
}
