using System.Diagnostics;
using System.Net.Sockets;
using System.Numerics;
using System.Text.Json;
using SharpVirt.Contracts;
using SharpVirt.Contracts.Api;
using SharpVirt.Memory;
using SharpVirt.Vmm.Snapshot;

namespace SharpVirt.Vmm.Migration;

/// <summary>What a migration asks of the VMM that runs the guest; each call runs on its control loop.</summary>
internal interface IMigrationSourceHost
{
    /// <summary>Pauses the guest (vCPUs and devices) and reads its state.</summary>
    VmSnapshot Freeze(MigrationSource migration, CancellationToken cancel);

    /// <summary>Lets go of disk locks and taps for the destination; null, or why not.</summary>
    string? Release(MigrationSource migration, CancellationToken cancel);

    /// <summary>The migration is over: stop the guest for good (completed), or take back what it let go and run it on.</summary>
    void Ended(MigrationSource migration, bool completed);
}

/// <summary>
/// Sends a running guest to another VMM (pre-copy): all memory while the guest runs, then again and again the pages
/// it wrote meanwhile (KVM's dirty log and the VMM's write log), until what is left would go within the downtime
/// limit at the speed measured; then the guest is paused, the rest goes with the machine state, the disks and taps are
/// handed over, and the source ends. Runs on its own thread; any failure before the commit leaves the guest running
/// here as it was.
/// </summary>
internal sealed class MigrationSource
{
    private const int Page = (int)GuestMemory.PageSize;
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    private readonly Vm _vm;
    private readonly VmConfig _config;
    private readonly MigrationAddress _destination;
    private readonly MigrationRequest _request;
    private readonly IMigrationSourceHost _host;
    private readonly CancellationTokenSource _cancel = new();
    private readonly Stopwatch _elapsed = new();
    private readonly Lock _statusLock = new();
    private readonly Thread _thread;
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TcpClient? _client;
    private MigrationStatus _status;
    private bool _cancelledByUser;

    public MigrationSource(Vm vm, VmConfig config, MigrationAddress destination, MigrationRequest request, IMigrationSourceHost host)
    {
        _vm = vm;
        _config = config;
        _destination = destination;
        _request = request;
        _host = host;
        _status = new MigrationStatus
        {
            State = MigrationState.Active,
            Phase = "connecting",
            DestinationUrl = destination.ToString(),
            MemoryBytes = (long)vm.Memory.TotalSize,
            DowntimeLimitMs = request.DowntimeLimitMs,
        };
        _thread = new Thread(Run) { Name = "migration-send", IsBackground = true };
    }

    /// <summary>Where it stands now.</summary>
    public MigrationStatus Status
    {
        get
        {
            lock (_statusLock)
            {
                return _status with { ElapsedMs = _status.State == MigrationState.Active ? Math.Round(_elapsed.Elapsed.TotalMilliseconds, 1) : _status.ElapsedMs };
            }
        }
    }

    /// <summary>Completes when it has ended, its final status set.</summary>
    public Task Finished => _finished.Task;

    /// <summary>Whether it still runs.</summary>
    public bool IsActive => Status.State == MigrationState.Active;

    public void Start()
    {
        _elapsed.Start();
        _thread.Start();
    }

    /// <summary>Stops it (the user asked, or the guest is ending) and waits until its thread no longer touches the VM.</summary>
    public void Cancel(bool byUser)
    {
        lock (_statusLock)
        {
            _cancelledByUser |= byUser;
        }

        _cancel.Cancel();
        _client?.Dispose(); // a send blocked on a destination that stopped reading ends now
        if (Thread.CurrentThread != _thread && _thread.IsAlive)
        {
            _thread.Join();
        }
    }

    private void Run()
    {
        var token = _cancel.Token;
        var completed = false;
        string? error = null;
        Stopwatch? downtime = null;
        var logging = false;
        try
        {
            using var client = new TcpClient { NoDelay = true };
            _client = client;
            if (!client.ConnectAsync(_destination.Host, _destination.Port, token).AsTask().Wait(ConnectTimeout, token))
            {
                throw new MigrationException($"no answer from {_destination} within {ConnectTimeout.TotalSeconds:0} s");
            }

            var net = client.GetStream();
            using var output = new BufferedStream(net, 1 << 20);
            MigrationWire.WriteHeader(output);
            MigrationWire.Write(output, MessageKind.Begin, JsonSerializer.SerializeToUtf8Bytes(_config, ContractsJsonContext.Default.VmConfig));
            output.Flush();
            MigrationWire.ReadHeader(net);
            MigrationWire.Expect(net, MessageKind.Accept, "destination");

            _vm.StartDirtyLog();
            logging = true;
            Update(s => s with { Phase = "precopy", Round = 1 });
            var memory = _vm.Memory;
            var dirty = memory.Regions.Select((_, i) => new ulong[memory.BitmapWords(i)]).ToArray();
            var scratch = new ulong[dirty.Max(d => d.Length)];
            var round = Stopwatch.StartNew();
            var sent = SendAll(output, token);
            var bandwidth = Rate(sent, round.Elapsed);
            for (var number = 2; ; number++)
            {
                var dirtyBytes = Collect(dirty, scratch);
                Update(s => s with { DirtyBytes = dirtyBytes, BandwidthMibPerSecond = Math.Round(bandwidth / (1 << 20), 1) });
                var seconds = dirtyBytes / Math.Max(bandwidth, 1);
                if (seconds * 1000 <= _request.DowntimeLimitMs || number > _request.MaxRounds)
                {
                    break;
                }

                Update(s => s with { Round = number });
                round.Restart();
                sent = SendDirty(output, dirty, token);
                bandwidth = Rate(sent, round.Elapsed);
            }

            Update(s => s with { Phase = "stop-and-copy" });
            downtime = Stopwatch.StartNew();
            var state = _host.Freeze(this, token);
            Collect(dirty, scratch);
            SendDirty(output, dirty, token);
            MigrationWire.Write(output, MessageKind.State, SnapshotFile.Encode(state));
            output.Flush();
            MigrationWire.Expect(net, MessageKind.Ready, "destination");

            Update(s => s with { Phase = "handover" });
            if (_host.Release(this, token) is { } why)
            {
                throw new MigrationException($"cannot hand the devices over: {why}");
            }

            MigrationWire.Write(output, MessageKind.Go, []);
            output.Flush();
            MigrationWire.Expect(net, MessageKind.Built, "destination");
            token.ThrowIfCancellationRequested();
            MigrationWire.Write(output, MessageKind.Commit, []);
            output.Flush();
            completed = true; // from here the guest is the destination's, whatever the connection does
        }
        catch (OperationCanceledException)
        {
            error = "cancelled";
        }
        catch (AggregateException e) when (e.InnerException is OperationCanceledException)
        {
            error = "cancelled";
        }
        catch (Exception e) when (e is MigrationException or IOException or SocketException or ObjectDisposedException or AggregateException)
        {
            error = _cancel.IsCancellationRequested ? "cancelled" : Describe(e);
        }
        finally
        {
            if (logging)
            {
                _vm.StopDirtyLog();
            }

            lock (_statusLock)
            {
                _elapsed.Stop();
                var state = completed ? MigrationState.Completed
                    : error == "cancelled" && _cancelledByUser ? MigrationState.Cancelled : MigrationState.Failed;
                _status = _status with
                {
                    State = state,
                    Phase = null,
                    ElapsedMs = Math.Round(_elapsed.Elapsed.TotalMilliseconds, 1),
                    DowntimeMs = completed ? Math.Round(downtime!.Elapsed.TotalMilliseconds, 1) : null,
                    Error = completed ? null : state == MigrationState.Cancelled ? "cancelled by the user" : error == "cancelled" ? "the guest stopped" : error,
                };
            }

            _finished.TrySetResult();
            _host.Ended(this, completed);
        }
    }

    private string Describe(Exception e)
    {
        var inner = e is AggregateException a ? a.InnerException ?? e : e;
        return inner switch
        {
            SocketException s => $"{_destination}: {s.Message}",
            IOException { InnerException: SocketException s } => $"the connection to {_destination} broke: {s.Message}",
            _ => inner.Message,
        };
    }

    /// <summary>Round 1: every page that holds data (the destination's memory starts as zeros).</summary>
    private long SendAll(Stream output, CancellationToken token)
    {
        long sent = 0;
        foreach (var region in _vm.Memory.Regions)
        {
            for (ulong at = 0; at < region.Size; at += MigrationWire.MaxPagesBytes)
            {
                token.ThrowIfCancellationRequested();
                var length = (int)Math.Min((ulong)MigrationWire.MaxPagesBytes, region.Size - at);
                sent += SendRun(output, region.Start + at, length, skipZeros: true);
            }
        }

        Update(s => s with { TransferredBytes = s.TransferredBytes + sent });
        return sent;
    }

    /// <summary>ORs both dirty logs into <paramref name="dirty"/>; returns the bytes it marks.</summary>
    private long Collect(ulong[][] dirty, ulong[] scratch)
    {
        long pages = 0;
        for (var i = 0; i < dirty.Length; i++)
        {
            _vm.TakeDirtyPages(i, dirty[i], scratch);
            foreach (var word in dirty[i])
            {
                pages += BitOperations.PopCount(word);
            }
        }

        return pages * Page;
    }

    /// <summary>Sends every page marked in <paramref name="dirty"/> (zeros as Zeros) and clears the marks.</summary>
    private long SendDirty(Stream output, ulong[][] dirty, CancellationToken token)
    {
        long sent = 0;
        for (var i = 0; i < dirty.Length; i++)
        {
            var region = _vm.Memory.Regions[i];
            var bits = dirty[i];
            var pages = (long)(region.Size / (ulong)Page);
            long page = 0;
            while (page < pages)
            {
                if ((bits[page / 64] & (1UL << (int)(page % 64))) == 0)
                {
                    page = (bits[page / 64] >> (int)(page % 64)) == 0 ? (page / 64 + 1) * 64 : page + 1;
                    continue;
                }

                var first = page;
                while (page < pages && page - first < MigrationWire.MaxPagesBytes / Page && (bits[page / 64] & (1UL << (int)(page % 64))) != 0)
                {
                    bits[page / 64] &= ~(1UL << (int)(page % 64));
                    page++;
                }

                token.ThrowIfCancellationRequested();
                sent += SendRun(output, region.Start + (ulong)first * (ulong)Page, (int)(page - first) * Page, skipZeros: false);
            }
        }

        Update(s => s with { TransferredBytes = s.TransferredBytes + sent });
        return sent;
    }

    /// <summary>
    /// Sends [address, address+length): runs of data pages as Pages, runs of zero pages as Zeros (or nothing, when the
    /// destination has zeros there already). Returns the data bytes sent.
    /// </summary>
    private long SendRun(Stream output, ulong address, int length, bool skipZeros)
    {
        var bytes = _vm.Memory.GetSpan(address, length);
        if (skipZeros && !bytes.ContainsAnyExcept((byte)0))
        {
            return 0;
        }

        long sent = 0;
        var start = 0;
        var startZero = !bytes[..Page].ContainsAnyExcept((byte)0);
        for (var at = Page; at <= length; at += Page)
        {
            var zero = at < length && !bytes.Slice(at, Page).ContainsAnyExcept((byte)0);
            if (at < length && zero == startZero)
            {
                continue;
            }

            if (!startZero)
            {
                MigrationWire.WritePages(output, address + (ulong)start, bytes[start..at]);
                sent += at - start;
            }
            else if (!skipZeros)
            {
                MigrationWire.WriteZeros(output, address + (ulong)start, (ulong)(at - start));
            }

            start = at;
            startZero = zero;
        }

        return sent;
    }

    /// <summary>Adds a line to how it ended (what the source could not take back after a failure).</summary>
    public void Note(string text) => Update(s => s with { Error = s.Error is null ? text : $"{s.Error}; {text}" });

    private static double Rate(long bytes, TimeSpan elapsed) => bytes / Math.Max(elapsed.TotalSeconds, 1e-3);

    private void Update(Func<MigrationStatus, MigrationStatus> change)
    {
        lock (_statusLock)
        {
            _status = change(_status);
        }
    }
}
