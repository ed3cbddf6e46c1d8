using SharpVirt.Contracts;
using SharpVirt.Contracts.Api;
using SharpVirt.Devices.Virtio.Balloon;
using SharpVirt.Devices.Virtio.Block;
using SharpVirt.Devices.Virtio.Net;

namespace SharpVirt.Vmm.Control;

/// <summary>The commands that read or change a running guest: metrics, the balloon, rate limits, flush, the power button and Ctrl-Alt-Del.</summary>
public sealed partial class VmmController
{
    /// <summary>Every device's counters and the VMM's own.</summary>
    public Task<MetricsReport> GetMetrics() => Post(() => new MetricsReport
    {
        State = _state,
        Vmm = _vm is { } vm ? VmmCounters(vm) : new Dictionary<string, long>(),
        Devices = _vm?.Devices.ToDictionary(d => d.Name, d => new DeviceMetrics
        {
            Kind = d.Kind,
            Counters = d.Metrics.Snapshot().ToDictionary(c => c.Key, c => c.Value),
        }) ?? new Dictionary<string, DeviceMetrics>(),
    });

    /// <summary>The balloon's settings (the target as it is now once the guest runs).</summary>
    public Task<BalloonConfig> GetBalloon() => Post(() =>
    {
        var config = _config?.Balloon ?? _pending.Balloon
            ?? throw new VmmControlException(VmmControlErrorKind.NotFound, "balloon", "this VM has no balloon");
        return RunningBalloon() is { } balloon ? config with { AmountMib = balloon.TargetMib } : config;
    });

    /// <summary>The balloon's target, what the guest has given, and its memory statistics.</summary>
    public Task<BalloonInfo> GetBalloonStatistics() => Post(() =>
    {
        var balloon = RunningBalloon() ?? throw (_state == VmState.NotStarted
            ? VmmControlException.WrongState("the guest is not started: it has no balloon statistics yet")
            : new VmmControlException(VmmControlErrorKind.NotFound, "balloon", "this VM has no balloon"));
        return new BalloonInfo
        {
            TargetMib = balloon.TargetMib,
            ActualMib = balloon.ActualMib,
            Statistics = balloon.Statistics is { } s ? Statistics(s) : null,
        };
    });

    /// <summary>Sets a running guest's balloon target.</summary>
    public Task UpdateBalloon(BalloonUpdate update) => Post(() =>
    {
        RequireLive("balloon");
        var balloon = RunningBalloon() ?? throw new VmmControlException(VmmControlErrorKind.NotFound, "balloon", "this VM has no balloon");
        var memoryMib = _config!.Machine.MemSizeMib;
        if (update.AmountMib < 0 || update.AmountMib >= memoryMib)
        {
            throw new VmmControlException(VmmControlErrorKind.BadRequest, "amount_mib",
                $"{update.AmountMib} MiB: must be from 0 to less than the guest's {memoryMib} MiB");
        }

        balloon.SetTarget(update.AmountMib);
    });

    /// <summary>Changes a running disk's backing file or rate limit.</summary>
    public Task UpdateDrive(string id, DriveUpdate update) => Post(() =>
    {
        RequireLive("drives");
        PendingConfig.CheckBodyId(id, update.DriveId, "drive_id");
        var disk = Find<VirtioBlock>(id, "drive");
        if (update.RateLimiter is null && update.PathOnHost is null)
        {
            throw new VmmControlException(VmmControlErrorKind.BadRequest, "rate_limiter", "nothing to change: give path_on_host or rate_limiter");
        }

        var limit = update.RateLimiter is { } r ? Validated("rate_limiter", r) : null;
        if (update.PathOnHost is { } path)
        {
            ReplaceImage(id, disk, path);
        }

        if (update.RateLimiter is not null)
        {
            disk.RateLimiter.Reconfigure(limit?.Bandwidth?.Create(), limit?.Ops?.Create());
        }
    });

    /// <summary>Changes a running network card's rate limits.</summary>
    public Task UpdateNetworkInterface(string id, NetworkInterfaceUpdate update) => Post(() =>
    {
        RequireLive("network-interfaces");
        PendingConfig.CheckBodyId(id, update.IfaceId, "iface_id");
        var card = Find<VirtioNet>(id, "network interface");
        if (update.RxRateLimiter is null && update.TxRateLimiter is null)
        {
            throw new VmmControlException(VmmControlErrorKind.BadRequest, "rx_rate_limiter", "nothing to change: give rx_rate_limiter or tx_rate_limiter");
        }

        // Both are checked before either is applied, so a bad tx limit leaves rx as it was.
        var rx = update.RxRateLimiter is { } r ? Validated("rx_rate_limiter", r) : null;
        var tx = update.TxRateLimiter is { } t ? Validated("tx_rate_limiter", t) : null;
        if (update.RxRateLimiter is not null)
        {
            card.RxRateLimiter.Reconfigure(rx?.Bandwidth?.Create(), rx?.Ops?.Create());
        }

        if (update.TxRateLimiter is not null)
        {
            card.TxRateLimiter.Reconfigure(tx?.Bandwidth?.Create(), tx?.Ops?.Create());
        }
    });

    /// <summary>Makes every disk's completed writes durable on the host.</summary>
    public Task FlushDrives() => Post(() =>
    {
        RequireLive("flush");
        foreach (var disk in _vm!.Devices.Select(d => d.Device).OfType<VirtioBlock>())
        {
            try
            {
                disk.Flush();
            }
            catch (IOException e)
            {
                throw new VmmControlException(VmmControlErrorKind.Failed, null, e.Message);
            }
        }
    });

    /// <summary>Presses the ACPI power button; what follows is the guest's choice.</summary>
    public Task PressPowerButton() => Post(() =>
    {
        Require(VmState.Running, "press the power button");
        RequireNoMigration("press the power button");
        _vm!.Legacy.PowerButton.Press();
    });

    /// <summary>Types Ctrl-Alt-Del on the guest's keyboard; what follows is the guest's choice.</summary>
    public Task SendCtrlAltDel() => Post(() =>
    {
        Require(VmState.Running, "send Ctrl-Alt-Del");
        RequireNoMigration("send Ctrl-Alt-Del");
        if (!_vm!.Legacy.I8042.TypeCtrlAltDel())
        {
            throw VmmControlException.WrongState(
                "the guest's keyboard did not take Ctrl-Alt-Del: the guest has not enabled it, or has not read the keys sent before");
        }
    });

    private void ReplaceImage(string id, VirtioBlock disk, string path)
    {
        RequireNoMigration("change a disk's image");
        if (_state != VmState.Running)
        {
            throw VmmControlException.WrongState($"the guest is {Describe(_state)}: a disk's image is changed while it runs");
        }

        try
        {
            DeviceSpecFactory.CheckImagePath("path_on_host", path);
            disk.ReplaceImage(path);
        }
        catch (ConfigException e)
        {
            throw new VmmControlException(VmmControlErrorKind.BadRequest, e.Field, e.Reason);
        }
        catch (BlockImageException e)
        {
            throw new VmmControlException(VmmControlErrorKind.BadRequest, "path_on_host", e.Message);
        }

        // A snapshot taken later must reopen the new image.
        _config = _config! with { Drives = [.. _config.Drives.Select((d, i) => _spec!.Drives[i].Id == id ? d with { PathOnHost = path } : d)] };
    }

    private void RequireLive(string resource)
    {
        if (_state is not (VmState.Running or VmState.Paused))
        {
            throw VmmControlException.WrongState($"the guest is {Describe(_state)}: {resource} changes need a running guest");
        }
    }

    private T Find<T>(string id, string what)
        where T : class =>
        _vm!.Devices.FirstOrDefault(d => d.Name == id)?.Device as T
            ?? throw new VmmControlException(VmmControlErrorKind.NotFound, "id", $"this VM has no {what} '{id}'");

    private VirtioBalloon? RunningBalloon() => _vm?.Devices.Select(d => d.Device).OfType<VirtioBalloon>().FirstOrDefault();

    private static RateLimitSpec? Validated(string field, RateLimiterConfig config)
    {
        try
        {
            return DeviceSpecFactory.RateLimit(field, config);
        }
        catch (ConfigException e)
        {
            throw new VmmControlException(VmmControlErrorKind.BadRequest, e.Field, e.Reason);
        }
    }

    private static Dictionary<string, long> VmmCounters(Vm vm)
    {
        var counters = new Dictionary<string, long>
        {
            ["vcpus"] = vm.Vcpus.Count,
            ["memory_bytes"] = (long)vm.Memory.TotalSize,
            ["power_button_presses"] = vm.Legacy.PowerButton.Presses,
            ["keyboard_dropped_sequences"] = vm.Legacy.I8042.DroppedKeySequences,
        };
        foreach (var kind in Enum.GetValues<Emulation.X86InstructionKind>().Where(k => k != Emulation.X86InstructionKind.Unknown))
        {
            counters[$"emulated_{kind.ToString().ToLowerInvariant()}"] = vm.Assist.Completed(kind);
        }

        return counters;
    }

    private static Dictionary<string, long> Statistics(BalloonStatistics s)
    {
        var values = new Dictionary<string, long>();
        void Add(string name, long? value)
        {
            if (value is { } v)
            {
                values[name] = v;
            }
        }

        Add("swap_in", s.SwapIn);
        Add("swap_out", s.SwapOut);
        Add("major_faults", s.MajorFaults);
        Add("minor_faults", s.MinorFaults);
        Add("free_memory", s.FreeMemory);
        Add("total_memory", s.TotalMemory);
        Add("available_memory", s.AvailableMemory);
        Add("disk_caches", s.DiskCaches);
        return values;
    }
}
