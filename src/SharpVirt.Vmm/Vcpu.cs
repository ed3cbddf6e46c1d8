using SharpVirt.Devices.Bus;
using SharpVirt.Interop;
using SharpVirt.Interop.Kvm;
using SharpVirt.Interop.Kvm.Abi;
using SharpVirt.Vmm.Emulation;

namespace SharpVirt.Vmm;

/// <summary>The states of a vCPU thread.</summary>
public enum VcpuState
{
    /// <summary>Created and not started, or parked by <see cref="Vcpu.Pause"/>: the guest's code does not run.</summary>
    Paused,
    /// <summary>In its KVM_RUN loop.</summary>
    Running,
    /// <summary>Its thread has returned.</summary>
    Exited,
}

/// <summary>
/// One vCPU: a dedicated thread looping on KVM_RUN, dispatching port and MMIO exits to the buses and
/// reporting guest life-cycle events (power off, reset, errors) to the VM through <see cref="VmExitSignal"/>.
/// </summary>
public sealed unsafe class Vcpu : IDisposable
{
    private readonly VcpuFd _fd;
    private readonly IoBus _pio;
    private readonly IoBus _mmio;
    private readonly VmExitSignal _exit;
    private readonly EmulationAssist _assist;
    private Thread? _thread;
    private nuint _pthread;
    private readonly ManualResetEventSlim _resume = new(initialState: true);
    private readonly ManualResetEventSlim _parked = new();
    private readonly ManualResetEventSlim _unparked = new(initialState: true);
    private volatile int _state = (int)VcpuState.Paused;
    private volatile bool _pauseRequested;

    internal Vcpu(VcpuFd fd, IoBus pio, IoBus mmio, VmExitSignal exit, EmulationAssist assist)
    {
        _fd = fd;
        _pio = pio;
        _mmio = mmio;
        _exit = exit;
        _assist = assist;
    }

    /// <summary>The vCPU index.</summary>
    public uint Id => _fd.Id;

    /// <summary>The KVM handle (for setup before start).</summary>
    public VcpuFd Fd => _fd;

    /// <summary>The current state.</summary>
    public VcpuState State => (VcpuState)_state;

    /// <summary>Number of KVM_RUN exits handled.</summary>
    public long Exits { get; private set; }

    /// <summary>Starts the vCPU thread.</summary>
    public void Start()
    {
        ThreadKick.EnsureInstalled();
        using var started = new ManualResetEventSlim();
        _thread = new Thread(() =>
        {
            _pthread = ThreadKick.CurrentThread();
            _state = (int)VcpuState.Running;
            started.Set();
            RunLoop();
        })
        {
            Name = $"vcpu{Id}",
            IsBackground = true,
        };
        _thread.Start();
        started.Wait();
    }

    /// <summary>
    /// Parks the thread outside KVM_RUN and returns once it is parked (or has exited). The thread parks only when
    /// KVM_RUN returned for immediate_exit, after KVM completed the last MMIO or port exit, so the vCPU's state is
    /// whole. Call <see cref="Pause"/> and <see cref="Resume"/> from one thread.
    /// </summary>
    public void Pause()
    {
        if (_thread is null || _pauseRequested)
        {
            return;
        }

        _resume.Reset();
        _pauseRequested = true;
        _fd.RequestImmediateExit(true); // a kick that lands just before KVM_RUN still makes it return at once
        ThreadKick.Kick(_pthread); // at once: a guest idle in HLT would otherwise sleep through the first wait
        while (!_parked.Wait(10) && _thread.IsAlive)
        {
            ThreadKick.Kick(_pthread);
        }
    }

    /// <summary>Lets a paused thread enter the guest again and returns once it is running (or has exited).</summary>
    public void Resume()
    {
        if (_thread is null || !_pauseRequested)
        {
            return;
        }

        _pauseRequested = false;
        _unparked.Reset();
        _resume.Set();
        // Waited on, not spun on: on a host CPU the vCPU thread shares, a spin (sleeping 1 ms per round) kept it waiting.
        while (!_unparked.Wait(10) && _thread.IsAlive)
        {
        }
    }

    /// <summary>Asks the thread to leave its loop and waits for it.</summary>
    public void Stop()
    {
        if (_thread is null)
        {
            return;
        }

        _fd.RequestImmediateExit(true);
        _resume.Set(); // a parked thread wakes, sees the exit flag and leaves
        while (_thread.IsAlive)
        {
            ThreadKick.Kick(_pthread);
            _thread.Join(10);
        }
    }

    private void RunLoop()
    {
        try
        {
            while (!_exit.IsSet)
            {
                var rc = _fd.RunOnce();
                if (rc != 0)
                {
                    // EINTR (a kick, or immediate_exit) or EAGAIN: look at the flags again. KVM finished the last
                    // exit's I/O before returning EINTR, so a vCPU parked here has nothing half-done.
                    if (_pauseRequested && !_exit.IsSet)
                    {
                        Park();
                    }

                    continue;
                }

                Exits++;
                if (!HandleExit())
                {
                    break;
                }
            }
        }
        catch (Exception e)
        {
            _exit.Set(new VmOutcome(VmOutcomeKind.Error, $"vCPU {Id}: {e.Message}"));
        }
        finally
        {
            _state = (int)VcpuState.Exited;
        }
    }

    private void Park()
    {
        _state = (int)VcpuState.Paused;
        _parked.Set();
        _resume.Wait();
        _parked.Reset();
        if (!_exit.IsSet)
        {
            _fd.RequestImmediateExit(false);
        }

        _state = (int)VcpuState.Running;
        _unparked.Set();
    }

    /// <summary>Handles one exit; false ends the loop.</summary>
    private bool HandleExit()
    {
        var run = _fd.Run;
        switch ((KvmExitReason)run->exit_reason)
        {
            case KvmExitReason.Io:
                HandleIo();
                return true;
            case KvmExitReason.Mmio:
                HandleMmio();
                return true;
            case KvmExitReason.Hlt:
                return !_exit.IsSet;
            case KvmExitReason.Shutdown:
                // A triple fault: real hardware resets.
                _exit.Set(new VmOutcome(VmOutcomeKind.Reboot, "the guest triple-faulted (CPU reset)"));
                return false;
            case KvmExitReason.SystemEvent:
                return HandleSystemEvent();
            case KvmExitReason.InternalError:
                var result = _assist.Handle(_fd);
                if (result.Handled)
                {
                    return true;
                }

                _exit.Set(new VmOutcome(VmOutcomeKind.Error, $"vCPU {Id}: {result.Message}"));
                return false;
            case KvmExitReason.FailEntry:
                var fail = _fd.Exit<kvm_run_fail_entry>();
                _exit.Set(new VmOutcome(VmOutcomeKind.Error,
                    $"vCPU {Id}: KVM could not enter the guest (hardware reason 0x{fail->hardware_entry_failure_reason:x})"));
                return false;
            case KvmExitReason.Intr:
                return true;
            default:
                _exit.Set(new VmOutcome(VmOutcomeKind.Error, $"vCPU {Id}: unexpected KVM exit reason {run->exit_reason}"));
                return false;
        }
    }

    private void HandleIo()
    {
        var io = *_fd.Exit<kvm_run_io>();
        var data = _fd.IoData(io);
        var size = io.size;
        for (var i = 0; i < io.count; i++)
        {
            var chunk = data.Slice(i * size, size);
            if (io.direction == KvmConst.IoOut)
            {
                _pio.Write(io.port, chunk);
            }
            else
            {
                _pio.Read(io.port, chunk);
            }
        }
    }

    private void HandleMmio()
    {
        var mmio = _fd.Exit<kvm_run_mmio>();
        var length = (int)Math.Min(mmio->len, 8u);
        var data = new Span<byte>(mmio->data, length);
        if (mmio->is_write != 0)
        {
            _mmio.Write(mmio->phys_addr, data);
        }
        else
        {
            _mmio.Read(mmio->phys_addr, data);
        }
    }

    private bool HandleSystemEvent()
    {
        var ev = _fd.Exit<kvm_run_system_event>();
        var outcome = ev->type switch
        {
            KvmConst.SystemEventShutdown => new VmOutcome(VmOutcomeKind.PowerOff, "the guest powered off"),
            KvmConst.SystemEventReset => new VmOutcome(VmOutcomeKind.Reboot, "the guest rebooted"),
            KvmConst.SystemEventCrash => new VmOutcome(VmOutcomeKind.Panic, "the guest crashed"),
            _ => new VmOutcome(VmOutcomeKind.Error, $"unknown KVM system event {ev->type}"),
        };
        _exit.Set(outcome);
        return false;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Stop();
        _fd.Dispose();
        _resume.Dispose();
        _parked.Dispose();
        _unparked.Dispose();
    }
}
