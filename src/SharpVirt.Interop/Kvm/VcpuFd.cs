using SharpVirt.Interop.Kvm.Abi;

namespace SharpVirt.Interop.Kvm;

/// <summary>A KVM vCPU file descriptor and its shared kvm_run page.</summary>
public sealed unsafe class VcpuFd : IDisposable
{
    private readonly FileDescriptor _fd;
    private readonly nint _run;
    private readonly int _runSize;
    private int _disposed;

    internal VcpuFd(FileDescriptor fd, uint id, nint run, int runSize)
    {
        _fd = fd;
        Id = id;
        _run = run;
        _runSize = runSize;
    }

    /// <summary>The vCPU index (also its APIC ID).</summary>
    public uint Id { get; }

    /// <summary>The shared kvm_run structure.
    /// SAFETY: the mapping lives as long as this object; callers use it on the vCPU's own thread.</summary>
    public kvm_run* Run => (kvm_run*)_run;

    /// <summary>A pointer to the exit union of kvm_run, viewed as <typeparamref name="T"/>.</summary>
    public T* Exit<T>() where T : unmanaged => (T*)((byte*)_run + KvmRun.ExitUnionOffset);

    /// <summary>The data bytes of a port I/O exit (inside the kvm_run mapping, bounds-checked against it).</summary>
    public Span<byte> IoData(in kvm_run_io io)
    {
        var length = (long)io.size * io.count;
        if (io.data_offset > (ulong)_runSize || length > _runSize - (long)io.data_offset)
        {
            throw new KvmException("KVM_EXIT_IO data outside kvm_run", Errno.EFAULT);
        }

        // SAFETY: offset and length were checked against the size of the kvm_run mapping just above.
        return new Span<byte>((byte*)_run + io.data_offset, (int)length);
    }

    /// <summary>KVM_RUN. Returns 0, or the errno for EINTR/EAGAIN (control flow, not failures); throws on anything else.</summary>
    public int RunOnce()
    {
        if (LibC.ioctl(_fd, KvmIoctls.Run, 0) >= 0)
        {
            return 0;
        }

        var errno = Errno.Last;
        return errno is Errno.EINTR or Errno.EAGAIN ? errno : throw new KvmException("KVM_RUN", errno);
    }

    /// <summary>KVM_GET_REGS.</summary>
    public kvm_regs GetRegs() => Get<kvm_regs>(KvmIoctls.GetRegs, "KVM_GET_REGS");

    /// <summary>KVM_SET_REGS.</summary>
    public void SetRegs(in kvm_regs regs) => Set(KvmIoctls.SetRegs, regs, "KVM_SET_REGS");

    /// <summary>KVM_GET_SREGS.</summary>
    public kvm_sregs GetSregs() => Get<kvm_sregs>(KvmIoctls.GetSregs, "KVM_GET_SREGS");

    /// <summary>KVM_SET_SREGS.</summary>
    public void SetSregs(in kvm_sregs sregs) => Set(KvmIoctls.SetSregs, sregs, "KVM_SET_SREGS");

    /// <summary>KVM_GET_FPU.</summary>
    public kvm_fpu GetFpu() => Get<kvm_fpu>(KvmIoctls.GetFpu, "KVM_GET_FPU");

    /// <summary>KVM_SET_FPU.</summary>
    public void SetFpu(in kvm_fpu fpu) => Set(KvmIoctls.SetFpu, fpu, "KVM_SET_FPU");

    /// <summary>KVM_GET_XSAVE: the FPU/SSE state as an XSAVE image (on kvm_pvm hosts KVM_GET_FPU reads MXCSR as 0).</summary>
    public kvm_xsave GetXsave() => Get<kvm_xsave>(KvmIoctls.GetXsave, "KVM_GET_XSAVE");

    /// <summary>KVM_SET_XSAVE.</summary>
    public void SetXsave(in kvm_xsave xsave) => Set(KvmIoctls.SetXsave, xsave, "KVM_SET_XSAVE");

    /// <summary>KVM_GET_LAPIC.</summary>
    public kvm_lapic_state GetLapic() => Get<kvm_lapic_state>(KvmIoctls.GetLapic, "KVM_GET_LAPIC");

    /// <summary>KVM_SET_LAPIC.</summary>
    public void SetLapic(in kvm_lapic_state lapic) => Set(KvmIoctls.SetLapic, lapic, "KVM_SET_LAPIC");

    /// <summary>KVM_GET_VCPU_EVENTS.</summary>
    public kvm_vcpu_events GetVcpuEvents() => Get<kvm_vcpu_events>(KvmIoctls.GetVcpuEvents, "KVM_GET_VCPU_EVENTS");

    /// <summary>KVM_SET_VCPU_EVENTS.</summary>
    public void SetVcpuEvents(in kvm_vcpu_events events) => Set(KvmIoctls.SetVcpuEvents, events, "KVM_SET_VCPU_EVENTS");

    /// <summary>KVM_TRANSLATE: a guest linear address to a guest physical one, through the guest's page tables.</summary>
    public kvm_translation Translate(ulong linearAddress)
    {
        var t = new kvm_translation { linear_address = linearAddress };
        Errno.CheckKvm(LibC.ioctl(_fd, KvmIoctls.Translate, &t), "KVM_TRANSLATE");
        return t;
    }

    /// <summary>KVM_GET_MP_STATE: runnable, halted, waiting for INIT/SIPI.</summary>
    public kvm_mp_state GetMpState() => Get<kvm_mp_state>(KvmIoctls.GetMpState, "KVM_GET_MP_STATE");

    /// <summary>KVM_SET_MP_STATE.</summary>
    public void SetMpState(in kvm_mp_state state) => Set(KvmIoctls.SetMpState, state, "KVM_SET_MP_STATE");

    /// <summary>KVM_GET_XCRS.</summary>
    public kvm_xcrs GetXcrs() => Get<kvm_xcrs>(KvmIoctls.GetXcrs, "KVM_GET_XCRS");

    /// <summary>KVM_SET_XCRS.</summary>
    public void SetXcrs(in kvm_xcrs xcrs) => Set(KvmIoctls.SetXcrs, xcrs, "KVM_SET_XCRS");

    /// <summary>KVM_GET_DEBUGREGS.</summary>
    public kvm_debugregs GetDebugregs() => Get<kvm_debugregs>(KvmIoctls.GetDebugregs, "KVM_GET_DEBUGREGS");

    /// <summary>KVM_SET_DEBUGREGS.</summary>
    public void SetDebugregs(in kvm_debugregs regs) => Set(KvmIoctls.SetDebugregs, regs, "KVM_SET_DEBUGREGS");

    /// <summary>KVM_GET_MSRS for <paramref name="indices"/>: returns how many KVM read (it stops at the first it cannot).</summary>
    public int TryGetMsrs(ReadOnlySpan<uint> indices, out kvm_msr_entry[] entries)
    {
        var buffer = new byte[sizeof(kvm_msrs) + indices.Length * sizeof(kvm_msr_entry)];
        fixed (byte* p = buffer)
        {
            ((kvm_msrs*)p)->nmsrs = (uint)indices.Length;
            var all = new Span<kvm_msr_entry>(p + sizeof(kvm_msrs), indices.Length);
            for (var i = 0; i < indices.Length; i++)
            {
                all[i].index = indices[i];
            }

            var read = Errno.CheckKvm(LibC.ioctl(_fd, KvmIoctls.GetMsrs, p), "KVM_GET_MSRS");
            entries = all[..read].ToArray();
            return read;
        }
    }

    /// <summary>KVM_GET_MSRS for <paramref name="indices"/>; throws if KVM returned fewer, naming the first missing one.</summary>
    public kvm_msr_entry[] GetMsrs(ReadOnlySpan<uint> indices)
    {
        var read = TryGetMsrs(indices, out var entries);
        return read == indices.Length ? entries : throw new KvmException($"KVM_GET_MSRS (MSR 0x{indices[read]:x} refused)", Errno.EINVAL);
    }

    /// <summary>KVM_SET_CPUID2.</summary>
    public void SetCpuid(ReadOnlySpan<kvm_cpuid_entry2> entries)
    {
        var buffer = new byte[sizeof(kvm_cpuid2) + entries.Length * sizeof(kvm_cpuid_entry2)];
        fixed (byte* p = buffer)
        {
            ((kvm_cpuid2*)p)->nent = (uint)entries.Length;
            entries.CopyTo(new Span<kvm_cpuid_entry2>(p + sizeof(kvm_cpuid2), entries.Length));
            Errno.CheckKvm(LibC.ioctl(_fd, KvmIoctls.SetCpuid2, p), "KVM_SET_CPUID2");
        }
    }

    /// <summary>KVM_SET_MSRS. Throws if KVM accepted fewer MSRs than given, naming the first refused one.</summary>
    public void SetMsrs(ReadOnlySpan<kvm_msr_entry> entries)
    {
        var buffer = new byte[sizeof(kvm_msrs) + entries.Length * sizeof(kvm_msr_entry)];
        fixed (byte* p = buffer)
        {
            ((kvm_msrs*)p)->nmsrs = (uint)entries.Length;
            entries.CopyTo(new Span<kvm_msr_entry>(p + sizeof(kvm_msrs), entries.Length));
            var set = Errno.CheckKvm(LibC.ioctl(_fd, KvmIoctls.SetMsrs, p), "KVM_SET_MSRS");
            if (set != entries.Length)
            {
                throw new KvmException($"KVM_SET_MSRS (MSR 0x{entries[set].index:x} refused)", Errno.EINVAL);
            }
        }
    }

    /// <summary>
    /// KVM_KVMCLOCK_CTRL: marks the guest's kvmclock page "stopped by the host", so its soft-lockup watchdog does not
    /// count a pause as a hang. False when the guest has not set up kvmclock (KVM answers EINVAL): nothing to tell.
    /// </summary>
    public bool NotifyClockStopped() => LibC.ioctl(_fd, KvmIoctls.KvmclockCtrl, 0) == 0;

    /// <summary>Sets kvm_run.immediate_exit so the next (or current) KVM_RUN returns EINTR at once.</summary>
    public void RequestImmediateExit(bool value) => Run->immediate_exit = value ? (byte)1 : (byte)0;

    private T Get<T>(nuint request, string name) where T : unmanaged => KvmStructIoctl.Get<T>(_fd, request, name);

    private void Set<T>(nuint request, in T value, string name) where T : unmanaged => KvmStructIoctl.Set(_fd, request, value, name);

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            LibC.munmap(_run, (nuint)_runSize);
            _fd.Dispose();
        }
    }
}
