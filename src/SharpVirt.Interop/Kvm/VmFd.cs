using SharpVirt.Interop.Kvm.Abi;

namespace SharpVirt.Interop.Kvm;

/// <summary>A KVM virtual machine file descriptor.</summary>
public sealed unsafe class VmFd : IDisposable
{
    private readonly FileDescriptor _fd;
    private readonly int _vcpuMmapSize;

    internal VmFd(FileDescriptor fd, int vcpuMmapSize)
    {
        _fd = fd;
        _vcpuMmapSize = vcpuMmapSize;
    }

    /// <summary>KVM_SET_USER_MEMORY_REGION: maps host memory at a guest physical address.</summary>
    public void SetUserMemoryRegion(uint slot, ulong guestPhysAddr, ulong size, nint hostAddress, uint flags = 0)
    {
        var region = new kvm_userspace_memory_region
        {
            slot = slot,
            flags = flags,
            guest_phys_addr = guestPhysAddr,
            memory_size = size,
            userspace_addr = (ulong)hostAddress,
        };
        Errno.CheckKvm(LibC.ioctl(_fd, KvmIoctls.SetUserMemoryRegion, &region), "KVM_SET_USER_MEMORY_REGION");
    }

    /// <summary>
    /// KVM_GET_DIRTY_LOG: the pages of <paramref name="slot"/> the guest wrote since the last call (or since logging was
    /// turned on with <see cref="KvmConst.MemLogDirtyPages"/>), one bit per page ORed into <paramref name="bitmap"/>,
    /// which must hold a bit for each page of the slot (rounded up to 64). The kernel clears its log as it reads it.
    /// </summary>
    public void GetDirtyLog(uint slot, Span<ulong> bitmap, Span<ulong> scratch)
    {
        if (scratch.Length < bitmap.Length)
        {
            throw new ArgumentException("the scratch bitmap is shorter than the bitmap", nameof(scratch));
        }

        fixed (ulong* words = scratch)
        {
            var log = new kvm_dirty_log { slot = slot, dirty_bitmap = (ulong)words };
            Errno.CheckKvm(LibC.ioctl(_fd, KvmIoctls.GetDirtyLog, &log), "KVM_GET_DIRTY_LOG");
        }

        for (var i = 0; i < bitmap.Length; i++)
        {
            bitmap[i] |= scratch[i];
        }
    }

    /// <summary>KVM_SET_TSS_ADDR: three pages of guest physical space KVM needs on Intel hosts.</summary>
    public void SetTssAddress(ulong address) =>
        Errno.CheckKvm(LibC.ioctl(_fd, KvmIoctls.SetTssAddr, (nuint)address), "KVM_SET_TSS_ADDR");

    /// <summary>KVM_SET_IDENTITY_MAP_ADDR: one page for the real-mode identity map on Intel hosts.</summary>
    public void SetIdentityMapAddress(ulong address) =>
        Errno.CheckKvm(LibC.ioctl(_fd, KvmIoctls.SetIdentityMapAddr, &address), "KVM_SET_IDENTITY_MAP_ADDR");

    /// <summary>KVM_CREATE_IRQCHIP: in-kernel PIC, IOAPIC and local APICs.</summary>
    public void CreateIrqchip() => Errno.CheckKvm(LibC.ioctl(_fd, KvmIoctls.CreateIrqchip, 0), "KVM_CREATE_IRQCHIP");

    /// <summary>KVM_CREATE_PIT2: the in-kernel i8254 timer.</summary>
    public void CreatePit2()
    {
        var config = new kvm_pit_config { flags = KvmConst.PitSpeakerDummy };
        Errno.CheckKvm(LibC.ioctl(_fd, KvmIoctls.CreatePit2, &config), "KVM_CREATE_PIT2");
    }

    /// <summary>KVM_IRQ_LINE: raises or lowers an interrupt line (a GSI) of the in-kernel irqchip.</summary>
    public void SetIrqLine(uint gsi, bool level)
    {
        var irq = new kvm_irq_level { irq = gsi, level = level ? 1u : 0u };
        Errno.CheckKvm(LibC.ioctl(_fd, KvmIoctls.IrqLine, &irq), "KVM_IRQ_LINE");
    }

    /// <summary>KVM_IRQFD: signalling <paramref name="eventFd"/> injects an edge on <paramref name="gsi"/>.</summary>
    public void RegisterIrqfd(FileDescriptor eventFd, uint gsi)
    {
        var irqfd = new kvm_irqfd { fd = (uint)eventFd.Number, gsi = gsi };
        Errno.CheckKvm(LibC.ioctl(_fd, KvmIoctls.Irqfd, &irqfd), "KVM_IRQFD");
    }

    /// <summary>KVM_IOEVENTFD: a guest write to <paramref name="address"/> signals <paramref name="eventFd"/> without a userspace exit.</summary>
    public void RegisterIoeventfd(FileDescriptor eventFd, ulong address, uint length, bool pio, ulong? dataMatch = null)
    {
        var ioeventfd = new kvm_ioeventfd
        {
            addr = address,
            len = length,
            fd = eventFd.Number,
            datamatch = dataMatch ?? 0,
            flags = (pio ? KvmConst.IoeventfdFlagPio : 0) | (dataMatch is null ? 0 : KvmConst.IoeventfdFlagDatamatch),
        };
        Errno.CheckKvm(LibC.ioctl(_fd, KvmIoctls.Ioeventfd, &ioeventfd), "KVM_IOEVENTFD");
    }

    /// <summary>KVM_CREATE_VCPU and the mapping of its kvm_run page.</summary>
    public VcpuFd CreateVcpu(uint id)
    {
        var fd = new FileDescriptor(Errno.CheckKvm(LibC.ioctl(_fd, KvmIoctls.CreateVcpu, id), "KVM_CREATE_VCPU"));
        var run = LibC.mmap(0, (nuint)_vcpuMmapSize, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd.Number, 0);
        if (run == LibC.MapFailed)
        {
            var errno = Errno.Last;
            fd.Dispose();
            throw new KvmException("mmap(kvm_run)", errno);
        }

        return new VcpuFd(fd, id, run, _vcpuMmapSize);
    }

    /// <summary>KVM_GET_IRQCHIP: chip 0 (master PIC), 1 (slave PIC) or 2 (IOAPIC).</summary>
    public kvm_irqchip GetIrqchip(uint chipId) =>
        KvmStructIoctl.Get(_fd, KvmIoctls.GetIrqchip, "KVM_GET_IRQCHIP", new kvm_irqchip { chip_id = chipId });

    /// <summary>KVM_SET_IRQCHIP.</summary>
    public void SetIrqchip(in kvm_irqchip chip) => KvmStructIoctl.Set(_fd, KvmIoctls.SetIrqchip, chip, "KVM_SET_IRQCHIP");

    /// <summary>KVM_GET_PIT2.</summary>
    public kvm_pit_state2 GetPit2() => KvmStructIoctl.Get<kvm_pit_state2>(_fd, KvmIoctls.GetPit2, "KVM_GET_PIT2");

    /// <summary>KVM_SET_PIT2.</summary>
    public void SetPit2(in kvm_pit_state2 state) => KvmStructIoctl.Set(_fd, KvmIoctls.SetPit2, state, "KVM_SET_PIT2");

    /// <summary>KVM_GET_CLOCK: the guest's kvmclock now.</summary>
    public kvm_clock_data GetClock() => KvmStructIoctl.Get<kvm_clock_data>(_fd, KvmIoctls.GetClock, "KVM_GET_CLOCK");

    /// <summary>KVM_SET_CLOCK: only <c>clock</c> is used (flags 0), so the guest's time goes on from that value.</summary>
    public void SetClock(ulong clockNs) =>
        KvmStructIoctl.Set(_fd, KvmIoctls.SetClock, new kvm_clock_data { clock = clockNs }, "KVM_SET_CLOCK");

    /// <inheritdoc />
    public void Dispose() => _fd.Dispose();
}
