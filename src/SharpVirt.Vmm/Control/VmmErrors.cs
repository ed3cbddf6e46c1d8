using SharpVirt.Boot;
using SharpVirt.Contracts;
using SharpVirt.Interop;
using SharpVirt.Interop.Kvm;
using SharpVirt.Memory;

namespace SharpVirt.Vmm.Control;

/// <summary>The exceptions building or running a VM may end with that are the host's answer, not a VMM bug.</summary>
public static class VmmErrors
{
    /// <summary>Whether <paramref name="e"/> is a failure to report to the user (KVM, boot, memory, a system call, config).</summary>
    public static bool IsHostFailure(Exception e) =>
        e is KvmUnavailableException or BootException or GuestMemoryException or SystemCallException or ConfigException;
}
