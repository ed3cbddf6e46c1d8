using SharpVirt.Boot;
using SharpVirt.Boot.Acpi;
using SharpVirt.Boot.MpTable;
using SharpVirt.Devices.Bus;
using SharpVirt.Devices.Legacy;
using SharpVirt.Contracts;
using SharpVirt.Interop.Kvm;
using SharpVirt.Memory;
using SharpVirt.Vmm.Cpu;
using SharpVirt.Vmm.Emulation;
using SharpVirt.Vmm.Snapshot;
using SharpVirt.Interop.Kvm.Abi;
using System.Runtime.InteropServices;

namespace SharpVirt.Vmm;

/// <summary>Where the guest's console goes and what it reads: the serial port's host side.</summary>
/// <param name="Output">Bytes the guest writes to COM1.</param>
public sealed record ConsoleBackend(Stream Output);

/// <summary>The legacy devices whose state a snapshot keeps.</summary>
/// <param name="Serial">COM1.</param>
/// <param name="Cmos">The CMOS clock and RAM.</param>
/// <param name="I8042">The keyboard controller and its keyboard.</param>
/// <param name="PowerButton">The ACPI power button.</param>
public sealed record LegacyDevices(Serial16550 Serial, CmosRtc Cmos, I8042Controller I8042, AcpiPowerButton PowerButton);

/// <summary>The boot recipe: one straight line from a <see cref="VmSpec"/> to a <see cref="Vm"/> ready to run.</summary>
public static class VmBuilder
{
    private const uint SerialGsi = 4;
    private const uint KeyboardGsi = 1;

    /// <summary>Builds the VM: KVM objects, memory, devices, kernel, boot tables, vCPUs.</summary>
    public static Vm Build(VmSpec spec, ConsoleBackend console) =>
        Assemble(spec, console, () => GuestMemory.Create(GuestRamLayout.Ranges(spec.MemoryBytes)), snapshot: null);

    /// <summary>
    /// Builds the VM a snapshot froze: the same machine from its configuration, guest RAM mapped from the snapshot's
    /// memory file, and every vCPU, interrupt controller, timer and legacy device set to the saved state.
    /// </summary>
    public static Vm Restore(VmSpec spec, ConsoleBackend console, VmSnapshot snapshot, SafeHandle memoryFile)
    {
        CheckMatches(spec, snapshot);
        return Assemble(spec, console, () => GuestMemory.MapFile(snapshot.Memory.Select(m => (m.Start, m.Size, m.FileOffset)), memoryFile), snapshot);
    }

    /// <summary>
    /// Builds the VM a live migration sent: its memory already filled (and owned by the VM from here, disposed if the
    /// build fails), every other piece of state set as <see cref="Restore(VmSpec, ConsoleBackend, VmSnapshot, SafeHandle)"/> does.
    /// </summary>
    public static Vm Restore(VmSpec spec, ConsoleBackend console, VmSnapshot snapshot, GuestMemory memory)
    {
        try
        {
            CheckMatches(spec, snapshot);
        }
        catch
        {
            memory.Dispose();
            throw;
        }

        return Assemble(spec, console, () => memory, snapshot);
    }

    /// <summary>Throws unless the snapshot's memory layout and vCPU count are those of <paramref name="spec"/>.</summary>
    public static void CheckMatches(VmSpec spec, VmSnapshot snapshot)
    {
        var expected = GuestRamLayout.Ranges(spec.MemoryBytes);
        if (snapshot.Memory.Count != expected.Count || snapshot.Memory.Where((m, i) => m.Start != expected[i].Start || m.Size != expected[i].Size).Any()
            || snapshot.Vcpus.Count != spec.VcpuCount)
        {
            throw new SnapshotException(SnapshotErrorKind.Corrupt, "the snapshot's memory layout or vCPU count does not match its configuration");
        }
    }

    private static Vm Assemble(VmSpec spec, ConsoleBackend console, Func<GuestMemory> createMemory, VmSnapshot? snapshot)
    {
        var kvm = KvmSystem.Open();
        VmFd? fd = null;
        GuestMemory? memory = null;
        var vcpus = new List<Vcpu>();
        var owned = new List<IDisposable>();
        try
        {
            fd = kvm.CreateVm();
            fd.SetTssAddress(X64Layout.TssAddress);
            fd.SetIdentityMapAddress(X64Layout.IdentityMapAddress);
            fd.CreateIrqchip();
            fd.CreatePit2();

            memory = createMemory();
            for (var slot = 0; slot < memory.Regions.Count; slot++)
            {
                var r = memory.Regions[slot];
                fd.SetUserMemoryRegion((uint)slot, r.Start, r.Size, r.HostAddress);
            }

            var exit = new VmExitSignal();
            var pio = new IoBus("pio");
            var mmio = new IoBus("mmio");
            var panicWatch = new PanicDetectingStream(console.Output, exit);
            var serial = new Serial16550(panicWatch, new KvmInterruptLine(fd, SerialGsi));
            var legacy = AddLegacyDevices(pio, serial, fd, exit, spec.MemoryBytes);
            var virtio = new VirtioMmioSlots(mmio, fd, memory);
            var devices = VirtioDeviceSet.Build(spec, virtio, owned);
            // Disposed after the devices: their threads may signal the interrupt lines until they stop.
            owned.Add(virtio);
            var entry = snapshot is null ? LoadGuest(memory, spec, virtio.AcpiDevices) : 0;

            var assist = new EmulationAssist(memory);
            var supported = spec.CpuTemplate.Apply(kvm.GetSupportedCpuid());
            var cpuids = new List<kvm_cpuid_entry2[]>();
            for (uint id = 0; id < spec.VcpuCount; id++)
            {
                var vcpuFd = fd.CreateVcpu(id);
                vcpus.Add(new Vcpu(vcpuFd, pio, mmio, exit, assist));
                var cpuid = snapshot?.Vcpus[(int)id].CpuidEntries() ?? CpuidNormalizer.ForVcpu(supported, id, spec.VcpuCount);
                vcpuFd.SetCpuid(cpuid);
                cpuids.Add(cpuid);
                if (snapshot is null)
                {
                    VcpuSetup.ConfigureCommon(vcpuFd);
                }
            }

            if (snapshot is null)
            {
                VcpuSetup.ConfigureBootCpu(vcpus[0].Fd, entry);
            }
            else
            {
                VmStateRestore.Apply(snapshot, fd, vcpus, legacy, devices);
            }

            return new Vm(kvm, fd, memory, pio, mmio, legacy, vcpus, cpuids, exit, assist, owned, devices);
        }
        catch
        {
            foreach (var v in vcpus)
            {
                v.Dispose();
            }

            foreach (var d in owned)
            {
                d.Dispose();
            }

            memory?.Dispose();
            fd?.Dispose();
            kvm.Dispose();
            throw;
        }
    }

    private static LegacyDevices AddLegacyDevices(IoBus pio, Serial16550 serial, VmFd fd, VmExitSignal exit, ulong memoryBytes)
    {
        void Reset() => exit.Set(new VmOutcome(VmOutcomeKind.Reboot, "the guest rebooted"));
        var i8042 = new I8042Controller(new KvmInterruptLine(fd, KeyboardGsi), Reset);
        var cmos = new CmosRtc(() => DateTime.UtcNow, memoryBytes);
        pio.Insert(serial, 0x3f8, 8);
        pio.Insert(i8042, 0x60, 5);
        pio.Insert(cmos, 0x70, 2);
        pio.Insert(new PostCodePort(null), 0x80, 1);
        pio.Insert(new AcpiPmDevice(() => exit.Set(new VmOutcome(VmOutcomeKind.PowerOff, "the guest powered off")), Reset),
            X64Layout.AcpiSleepControlPort, 3);
        return new LegacyDevices(serial, cmos, i8042, new AcpiPowerButton(new KvmInterruptLine(fd, X64Layout.PowerButtonGsi)));
    }

    /// <summary>Places kernel, command line, initrd, ACPI and MP tables, the zero page and the long-mode tables; returns the entry.</summary>
    private static ulong LoadGuest(GuestMemory memory, VmSpec spec, IReadOnlyList<byte[]> acpiDevices)
    {
        var kernel = BzImageLoader.IsBzImage(spec.Kernel)
            ? BzImageLoader.Load(memory, spec.Kernel, spec.KernelName)
            : ElfLoader.IsElf(spec.Kernel)
                ? ElfLoader.Load(memory, spec.Kernel, spec.KernelName)
                : throw new BootException(BootErrorKind.NotAKernel, $"{spec.KernelName}: not a bzImage or ELF kernel");

        var cmdline = KernelCmdline.Encode(spec.Cmdline);
        memory.Write(X64Layout.CmdlineAddress, cmdline);

        BootParams.Initrd? initrd = null;
        if (spec.Initrd is { } rd)
        {
            var address = BootParams.PlaceInitrd(memory, kernel, (ulong)rd.Length);
            memory.Write(address, rd);
            initrd = new BootParams.Initrd(address, (uint)rd.Length);
        }

        var acpi = AcpiTables.Build(new AcpiConfig(spec.VcpuCount) { ExtraDsdtDevices = acpiDevices });
        AcpiTables.WriteTo(memory, acpi);
        if (spec.VcpuCount <= MpTable.MaxVcpus)
        {
            // Kernels built without ACPI find their CPUs here; the EBDA page holds at most MpTable.MaxVcpus.
            MpTable.WriteTo(memory, spec.VcpuCount);
        }

        var zeroPage = BootParams.Build(kernel, X64Layout.CmdlineAddress, cmdline.Length - 1, initrd,
            GuestRamLayout.E820Map(spec.MemoryBytes), acpi.RsdpAddress);
        memory.Write(X64Layout.ZeroPageAddress, zeroPage);
        LongModeSetup.Write(memory);
        return kernel.EntryAddress;
    }
}
