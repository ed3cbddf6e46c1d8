using SharpVirt.Devices.Bus;
using SharpVirt.Devices.Legacy;
using SharpVirt.Interop.Kvm;
using SharpVirt.Memory;
using SharpVirt.Contracts;
using SharpVirt.Interop.Kvm.Abi;
using SharpVirt.Vmm.Emulation;
using SharpVirt.Vmm.Snapshot;

namespace SharpVirt.Vmm;

/// <summary>
/// A built virtual machine: KVM handles, guest memory, buses, devices and vCPUs. Made by <see cref="VmBuilder"/>;
/// <see cref="RunAsync"/> starts the vCPUs and completes when the guest stops for any reason.
/// </summary>
public sealed partial class Vm : IDisposable
{
    private readonly KvmSystem _kvm;
    private readonly VmFd _fd;
    private readonly List<Vcpu> _vcpus;
    private readonly List<IDisposable> _owned;
    private readonly List<kvm_cpuid_entry2[]> _cpuids;
    private readonly Lock _runStateLock = new();
    private bool _started;
    private int _disposed;

    internal Vm(KvmSystem kvm, VmFd fd, GuestMemory memory, IoBus pio, IoBus mmio, LegacyDevices legacy,
        List<Vcpu> vcpus, List<kvm_cpuid_entry2[]> cpuids, VmExitSignal exit, EmulationAssist assist, List<IDisposable> owned,
        IReadOnlyList<VmDevice> devices)
    {
        Legacy = legacy;
        _cpuids = cpuids;
        _owned = owned;
        Devices = devices;
        _kvm = kvm;
        _fd = fd;
        Memory = memory;
        PioBus = pio;
        MmioBus = mmio;
        _vcpus = vcpus;
        Exit = exit;
        Assist = assist;
    }

    /// <summary>Guest RAM.</summary>
    public GuestMemory Memory { get; }

    /// <summary>The port I/O bus.</summary>
    public IoBus PioBus { get; }

    /// <summary>The MMIO bus.</summary>
    public IoBus MmioBus { get; }

    /// <summary>The COM1 UART (the guest's console).</summary>
    public Serial16550 Serial => Legacy.Serial;

    /// <summary>The legacy devices (serial, CMOS, i8042).</summary>
    public LegacyDevices Legacy { get; }

    /// <summary>The vCPUs.</summary>
    public IReadOnlyList<Vcpu> Vcpus => _vcpus;

    /// <summary>Set once when the VM must stop; anyone (console, signal handler) may set it.</summary>
    public VmExitSignal Exit { get; }

    /// <summary>The virtio devices, with their names and counters.</summary>
    public IReadOnlyList<VmDevice> Devices { get; }

    /// <summary>The emulation assist and its counters.</summary>
    public EmulationAssist Assist { get; }

    /// <summary>Whether <see cref="Pause"/> froze the guest (and <see cref="Resume"/> has not run it again).</summary>
    public bool IsPaused { get; private set; }

    /// <summary>
    /// Freezes the guest: every vCPU parks outside KVM_RUN, then every virtio device parks with its work in flight
    /// done, so nothing changes guest memory until <see cref="Resume"/>. False when it was paused already or is not
    /// running (not started yet, or stopping).
    /// </summary>
    public bool Pause()
    {
        lock (_runStateLock)
        {
            if (IsPaused || !_started || Exit.IsSet)
            {
                return false;
            }

            foreach (var vcpu in _vcpus)
            {
                vcpu.Pause();
                vcpu.Fd.NotifyClockStopped(); // as Cloud Hypervisor: the guest's watchdog then forgives the gap
            }

            foreach (var device in Devices)
            {
                device.Device.Pause();
            }

            IsPaused = true;
            return true;
        }
    }

    /// <summary>
    /// Runs a paused guest again, devices first so the vCPUs find them serving; false when it was not paused or is
    /// stopping.
    /// </summary>
    public bool Resume()
    {
        lock (_runStateLock)
        {
            if (!IsPaused || Exit.IsSet)
            {
                return false;
            }

            foreach (var device in Devices)
            {
                device.Device.Resume();
            }

            foreach (var vcpu in _vcpus)
            {
                vcpu.Resume();
            }

            IsPaused = false;
            return true;
        }
    }

    /// <summary>
    /// Reads the whole machine state of a paused guest (everything but RAM, which <see cref="MemoryFile"/> writes):
    /// every vCPU, the interrupt controllers, the PIT, the clock, the legacy and the virtio devices (paused too, with
    /// their work in flight done).
    /// </summary>
    public VmSnapshot CaptureState(VmConfig config)
    {
        lock (_runStateLock)
        {
            if (!IsPaused)
            {
                throw new InvalidOperationException("the VM must be paused to capture its state");
            }

            var msrs = _kvm.GetMsrIndexList();
            return new VmSnapshot
            {
                Config = config,
                Memory = MemoryFile.Layout(Memory),
                Vcpus = [.. _vcpus.Select((v, i) => VcpuSnapshot.Capture((uint)i, v.Fd, _cpuids[i], msrs))],
                Irqchips = [.. new uint[] { 0, 1, 2 }.Select(chip => VcpuSnapshot.Bytes(_fd.GetIrqchip(chip)))],
                Pit = VcpuSnapshot.Bytes(_fd.GetPit2()),
                ClockNs = _fd.GetClock().clock,
                Serial = Legacy.Serial.SaveState(),
                Cmos = Legacy.Cmos.SaveState(),
                I8042 = Legacy.I8042.SaveState(),
                Devices = [.. Devices.Select(d => new DeviceSnapshot(d.Name, d.Kind, d.Transport.SaveState(), d.Device.SaveQueuePositions(), d.Device.SaveDeviceState()))],
                TakenAt = DateTime.UtcNow,
                VmmVersion = VmmInfo.Version,
            };
        }
    }

    /// <summary>Starts every vCPU and waits for the guest to stop; the vCPUs are stopped before it returns.</summary>
    public async Task<VmOutcome> RunAsync()
    {
        lock (_runStateLock)
        {
            foreach (var vcpu in _vcpus)
            {
                vcpu.Start();
            }

            _started = true;
        }

        var outcome = await Exit.Outcome.ConfigureAwait(false);
        StopVcpus();
        return outcome;
    }

    private void StopVcpus()
    {
        foreach (var vcpu in _vcpus)
        {
            vcpu.Stop();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Exit.Set(new VmOutcome(VmOutcomeKind.UserQuit, "the VM was disposed"));
        foreach (var vcpu in _vcpus)
        {
            vcpu.Dispose();
        }

        // Device workers stop before guest memory goes away.
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }

        _fd.Dispose();
        Memory.Dispose();
        _kvm.Dispose();
    }
}
