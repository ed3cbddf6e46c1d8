using SharpVirt.Memory;

namespace SharpVirt.Vmm.Snapshot;

/// <summary>
/// After a restore, faults in the pages the snapshot holds data for, on a background thread while the guest already
/// runs: the guest starts at once (memory is mapped lazily) and soon stops paying a host fault and a copy per page it
/// touches first. Holes (pages that were zero) stay unbacked.
/// </summary>
internal static class MemoryPrefault
{
    private const ulong Chunk = 2 << 20;

    public static void Start(Vm vm, IReadOnlyList<(ulong Address, ulong Length)> extents)
    {
        var thread = new Thread(() => Run(vm, extents)) { Name = "memory-prefault", IsBackground = true, Priority = ThreadPriority.BelowNormal };
        thread.Start();
    }

    private static void Run(Vm vm, IReadOnlyList<(ulong Address, ulong Length)> extents)
    {
        foreach (var (address, length) in extents)
        {
            for (ulong at = 0; at < length; at += Chunk)
            {
                // The VM may end meanwhile; its memory is unmapped only after its exit is set.
                if (vm.Exit.IsSet || !vm.Memory.Populate(address + at, Math.Min(Chunk, length - at)))
                {
                    return;
                }
            }
        }
    }
}
