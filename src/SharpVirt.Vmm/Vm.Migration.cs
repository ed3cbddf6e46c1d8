using SharpVirt.Interop.Kvm.Abi;

namespace SharpVirt.Vmm;

/// <summary>What a live migration needs of the VM: dirty-page logging and handing host resources to another VMM.</summary>
public sealed partial class Vm
{
    /// <summary>
    /// Starts logging every page written from now: the guest's writes in KVM's dirty log (each memory slot re-registered
    /// with KVM_MEM_LOG_DIRTY_PAGES) and the VMM's own (device DMA, emulation) in guest memory's write log.
    /// </summary>
    public void StartDirtyLog()
    {
        Memory.StartWriteLog();
        SetDirtyLogging(KvmConst.MemLogDirtyPages);
    }

    /// <summary>Stops logging writes (a migration ended either way).</summary>
    public void StopDirtyLog()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        SetDirtyLogging(0);
        Memory.StopWriteLog();
    }

    /// <summary>
    /// ORs into <paramref name="bitmap"/> the pages of memory region <paramref name="region"/> written since the last call
    /// (one bit a page; <see cref="SharpVirt.Memory.GuestMemory.BitmapWords"/> words) and clears them in both logs.
    /// </summary>
    public void TakeDirtyPages(int region, Span<ulong> bitmap, Span<ulong> scratch)
    {
        _fd.GetDirtyLog((uint)region, bitmap, scratch);
        Memory.TakeWritten(region, bitmap);
    }

    /// <summary>
    /// Lets the destination of a migration open what the paused devices hold on the host (disk image locks, tap
    /// queues). If one cannot, those released are taken back and the reason is returned; null when all were released.
    /// </summary>
    public string? ReleaseHost()
    {
        for (var i = 0; i < Devices.Count; i++)
        {
            if (Devices[i].Device.ReleaseHost() is { } why)
            {
                for (var j = 0; j < i; j++)
                {
                    Devices[j].Device.ReclaimHost();
                }

                return $"{Devices[i].Name}: {why}";
            }
        }

        return null;
    }

    /// <summary>Takes back what <see cref="ReleaseHost"/> let go; the reasons of those that could not, or empty.</summary>
    public IReadOnlyList<string> ReclaimHost() =>
        [.. Devices.Select(d => d.Device.ReclaimHost() is { } why ? $"{d.Name}: {why}" : null).OfType<string>()];

    private void SetDirtyLogging(uint flags)
    {
        for (var slot = 0; slot < Memory.Regions.Count; slot++)
        {
            var r = Memory.Regions[slot];
            _fd.SetUserMemoryRegion((uint)slot, r.Start, r.Size, r.HostAddress, flags);
        }
    }
}
