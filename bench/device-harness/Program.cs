using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using SharpVirt.Bench.DeviceHarness;
using SharpVirt.Devices.Virtio;
using SharpVirt.Devices.Virtio.Block;
using SharpVirt.Devices.Virtio.Net;
using SharpVirt.Devices.Virtio.Rng;
using SharpVirt.Interop;
using SharpVirt.Memory;
using SharpVirt.TestUtils;

// bench/device-harness: the device path of SharpVirt's virtio devices without a guest. This program plays the
// driver: it lays out the queues in real guest memory, publishes requests, notifies through the queue's eventfd (what
// KVM's ioeventfd does for a guest's notify write) and spins on the used ring. It reports, per request, the wall time
// of the round trip and the CPU time of the device's own threads (the host-side cost of one request), medians of runs.
var runs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5;
var requests = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20000;
Console.WriteLine($"bench/device-harness: {requests} requests per run, median of {runs} runs, host CPU {Environment.ProcessorCount} cores");
Console.WriteLine("| device path (no guest) | round trip per request | device threads' CPU per request |");
Console.WriteLine("|---|---|---|");
Report("virtio-blk 4 KiB read, queue depth 1", runs, () => Block.Run(requests, depth: 1));
Report("virtio-blk 4 KiB read, queue depth 32", runs, () => Block.Run(requests, depth: 32));
Report("virtio-blk 4 KiB write + flush every 64, depth 1", runs, () => Block.Run(requests / 4, depth: 1, write: true));
Report("virtio-net 1500-byte transmit, depth 1", runs, () => Net.Run(requests, depth: 1));
Report("virtio-net 1500-byte transmit, depth 64", runs, () => Net.Run(requests, depth: 64));
Report("virtio-rng 64-byte request, depth 1", runs, () => Rng.Run(requests));
return 0;

static void Report(string name, int runs, Func<(double WallUs, double CpuUs)> run)
{
    run(); // warm-up: JIT, page cache
    var results = Enumerable.Range(0, runs).Select(_ => run()).ToArray();
    var wall = Median(results.Select(r => r.WallUs));
    var cpu = Median(results.Select(r => r.CpuUs));
    Console.WriteLine($"| {name} | {wall:F2} us | {cpu:F2} us |");
}

static double Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
}

/// <summary>An interrupt that only counts: the driver here polls.</summary>
internal sealed class CountingInterrupt : IVirtioInterrupt
{
    public void SignalUsedBuffer(int queueIndex)
    {
    }

    public void SignalConfigChange()
    {
    }
}

/// <summary>Common driver mechanics: publish, notify, wait for the used ring, time it all.</summary>
internal static class Driver
{
    internal const ulong Version1 = 1UL << VirtioFeatures.Version1;

    /// <summary>Runs <paramref name="total"/> requests keeping <paramref name="depth"/> in flight; returns per-request figures.</summary>
    internal static (double WallUs, double CpuUs) Measure(MockQueue queue, VirtioDevice device, int queueIndex, string threads,
        int total, int depth, Action<int> publish)
    {
        var cpuBefore = DeviceThreads.CpuNanoseconds(threads);
        var clock = Stopwatch.StartNew();
        var published = 0;
        var startIdx = queue.UsedIdx;
        while (published < Math.Min(depth, total))
        {
            publish(published++);
        }

        device.QueueNotify(queueIndex);
        var spin = new SpinWait();
        while (true)
        {
            var done = (ushort)(queue.UsedIdx - startIdx);
            if (done >= total)
            {
                break;
            }

            if (published - done < depth && published < total)
            {
                // Keep the queue full: one new request per completed one, then one notify for them all.
                while (published - done < depth && published < total)
                {
                    publish(published++);
                }

                device.QueueNotify(queueIndex);
                spin = default;
                continue;
            }

            spin.SpinOnce(sleep1Threshold: -1);
        }

        var wall = clock.Elapsed.TotalMicroseconds / total;
        var cpu = (DeviceThreads.CpuNanoseconds(threads) - cpuBefore) / 1000.0 / total;
        return (wall, cpu);
    }
}

/// <summary>virtio-blk on a 64 MiB image file (in the host page cache after the warm-up).</summary>
internal static class Block
{
    private const ulong Headers = MockQueue.DataArea;            // 64 x 16-byte headers
    private const ulong Statuses = MockQueue.DataArea + 0x1000;  // 64 status bytes
    private const ulong Buffers = MockQueue.DataArea + 0x10000;  // 64 x 4 KiB

    internal static (double, double) Run(int total, int depth, bool write = false)
    {
        var image = Path.Combine(Path.GetTempPath(), $"sv-harness-{Environment.ProcessId}.img");
        File.WriteAllBytes(image, new byte[64 << 20]);
        using var memory = GuestMemory.Create([(0, 2UL << 20)]);
        var queue = new MockQueue(memory, 64);
        try
        {
            using var device = new VirtioBlock(image, readOnly: false);
            device.Activate(new VirtioActivation(memory, Driver.Version1, [queue.Config], new CountingInterrupt()));
            var header = new byte[16];
            return Driver.Measure(queue, device, 0, "virtio-blk", total, depth, i =>
            {
                var slot = (ulong)(i % 64);
                var flush = write && i % 64 == 63;
                BinaryPrimitives.WriteUInt32LittleEndian(header, flush ? 4u : write ? 1u : 0u);
                BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(8), (ulong)(i * 8 % ((64 << 11) - 8)));
                memory.Write(Headers + (slot * 16), header);
                if (flush)
                {
                    queue.AddChain((Headers + (slot * 16), 16, false), (Statuses + slot, 1, true));
                }
                else
                {
                    queue.AddChain((Headers + (slot * 16), 16, false), (Buffers + (slot * 4096), 4096, !write), (Statuses + slot, 1, true));
                }
            });
        }
        finally
        {
            File.Delete(image);
        }
    }
}

/// <summary>virtio-net transmit into a datagram socket pair (a tap's stand-in) whose far end a thread drains.</summary>
internal static unsafe class Net
{
    private const ulong Frames = MockQueue.DataArea;

    internal static (double, double) Run(int total, int depth)
    {
        using var memory = GuestMemory.Create([(0, 2UL << 20)]);
        var rx = new MockQueue(memory, 16);
        var tx = new MockQueue(memory, 256, MockQueue.SecondQueueOffset);
        var fds = stackalloc int[2];
        Errno.Check(LibC.socketpair(LibC.AF_UNIX, LibC.SOCK_DGRAM | 0x800 | LibC.O_CLOEXEC, 0, fds), "socketpair");
        using var host = new FileDescriptor(fds[1]);
        using var backend = new PairBackend(new FileDescriptor(fds[0]));
        var draining = true;
        var drain = new Thread(() =>
        {
            var buffer = new byte[65536];
            var polls = stackalloc PollFd[1];
            while (Volatile.Read(ref draining))
            {
                polls[0] = new PollFd { Fd = host.Number, Events = PollFd.POLLIN };
                if (LibC.poll(polls, 1, 50) > 0)
                {
                    fixed (byte* p = buffer)
                    {
                        while (LibC.read(host, p, buffer.Length) > 0)
                        {
                        }
                    }
                }
            }
        });
        drain.Start();
        try
        {
            using var device = new VirtioNet(backend, [0x52, 0x54, 0, 1, 2, 3]);
            device.Activate(new VirtioActivation(memory, Driver.Version1, [rx.Config, tx.Config], new CountingInterrupt()));
            memory.Write(Frames, new byte[1512 * 64]);
            return Driver.Measure(tx, device, 1, "virtio-net", total, depth, i =>
                tx.AddChain((Frames + ((ulong)(i % 64) * 1512), 1512, false)));
        }
        finally
        {
            Volatile.Write(ref draining, false);
            drain.Join();
        }
    }

    private sealed class PairBackend(FileDescriptor fd) : INetBackend
    {
        public SafeHandle Handle => fd;

        public int Read(Span<byte> frame) => -1;

        public bool Write(ReadOnlySpan<byte> frame)
        {
            fixed (byte* p = frame)
            {
                return LibC.write(fd, p, frame.Length) == frame.Length;
            }
        }

        public void SetOffload(uint tunFlags)
        {
        }

        public void Dispose() => fd.Dispose();
    }
}

/// <summary>virtio-rng: the smallest request, close to the cost of the queue machinery itself.</summary>
internal static class Rng
{
    internal static (double, double) Run(int total)
    {
        using var memory = GuestMemory.Create([(0, 2UL << 20)]);
        var queue = new MockQueue(memory, 64);
        using var device = new VirtioRng(span => span.Fill(7));
        device.Activate(new VirtioActivation(memory, Driver.Version1, [queue.Config], new CountingInterrupt()));
        return Driver.Measure(queue, device, 0, "virtio-rng", total, 1, i => queue.AddChain((MockQueue.DataArea + ((ulong)(i % 64) * 64), 64, true)));
    }
}
