using System.Net.Sockets;
using System.Text;
using SharpVirt.Devices.Tests.Virtio.Rng;
using SharpVirt.Devices.Virtio;
using SharpVirt.Devices.Virtio.Console;
using SharpVirt.Memory;

namespace SharpVirt.Devices.Tests.Virtio.Console;

/// <summary>virtio-console on a real Unix socket: output to the client, input to the guest, back-pressure, busy, files.</summary>
public sealed class VirtioConsoleTests : IDisposable
{
    private const ulong RxBuffers = MockQueue.DataArea;
    private const ulong TxBuffers = MockQueue.DataArea + 0x20000;
    private readonly string _dir = Directory.CreateTempSubdirectory("sv-con-").FullName;
    private readonly GuestMemory _memory = MockQueue.CreateMemory();
    private readonly MockQueue _rx;
    private readonly MockQueue _tx;
    private readonly RecordingInterrupt _interrupt = new();
    private readonly VirtioConsole _console;

    public VirtioConsoleTests()
    {
        _rx = new MockQueue(_memory, 16);
        _tx = new MockQueue(_memory, 64, MockQueue.SecondQueueOffset);
        _console = new VirtioConsole(new UnixSocketConsoleBackend(SocketPath));
        _console.Activate(new VirtioActivation(_memory, 1UL << VirtioFeatures.Version1, [_rx.Config, _tx.Config], _interrupt));
    }

    private string SocketPath => Path.Combine(_dir, "hvc0.sock");

    public void Dispose()
    {
        _console.Dispose();
        _memory.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private Socket Connect()
    {
        var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { ReceiveTimeout = 5000 };
        client.Connect(new UnixDomainSocketEndPoint(SocketPath));
        // Wait until the device has taken the client, so output is not dropped as "nobody listening".
        Assert.True(RngTestRig.WaitFor(() => ((UnixSocketConsoleBackend)_console.Backend).Connected));
        return client;
    }

    private void GuestWrites(string text, int slot = 0)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        var at = TxBuffers + ((ulong)slot * 0x1000);
        _memory.Write(at, bytes);
        _tx.AddChain((at, (uint)bytes.Length, false));
        _console.QueueNotify(1);
    }

    private static string ReadExactly(Socket client, int count)
    {
        var buffer = new byte[count];
        var done = 0;
        while (done < count)
        {
            var n = client.Receive(buffer.AsSpan(done));
            Assert.True(n > 0, $"the console closed after {done} of {count} bytes");
            done += n;
        }

        return Encoding.ASCII.GetString(buffer);
    }

    [Fact]
    public void Identity_is_a_console_with_two_queues_and_no_configuration()
    {
        Assert.Equal(3u, _console.DeviceType);
        Assert.Equal(2, _console.QueueMaxSizes.Count);
        var config = new byte[12];
        Array.Fill(config, (byte)0xff);
        _console.ReadConfig(0, config);
        Assert.All(config, b => Assert.Equal(0, b));
    }

    [Fact]
    public void Guest_output_reaches_the_client_and_is_dropped_while_nobody_listens()
    {
        GuestWrites("nobody hears this\n");
        Assert.True(RngTestRig.WaitFor(() => _tx.UsedIdx == 1)); // completed, not blocked

        using var client = Connect();
        GuestWrites("hello from hvc0\n", 1);
        Assert.Equal("hello from hvc0\n", ReadExactly(client, 16));
        Assert.True(RngTestRig.WaitFor(() => _tx.UsedIdx == 2));
        Assert.Equal(18 + 16, _console.Metrics.TxBytes.Value);
    }

    [Fact]
    public void Client_input_fills_the_guest_buffers_and_waits_for_them_when_there_are_none()
    {
        using var client = Connect();
        client.Send("typed before any buffer\n"u8);
        Thread.Sleep(100);
        Assert.Equal(0, _rx.UsedIdx);

        _rx.AddChain((RxBuffers, 10, true));
        _rx.AddChain((RxBuffers + 0x1000, 64, true));
        _console.QueueNotify(0);

        Assert.True(RngTestRig.WaitFor(() => _rx.UsedIdx == 2));
        Assert.Equal(10u, _rx.ReadUsed(0).Length);
        Assert.Equal(14u, _rx.ReadUsed(1).Length);
        var received = new byte[24];
        _memory.Read(RxBuffers, received.AsSpan(0, 10));
        _memory.Read(RxBuffers + 0x1000, received.AsSpan(10, 14));
        Assert.Equal("typed before any buffer\n", Encoding.ASCII.GetString(received));
        Assert.Equal(24, _console.Metrics.RxBytes.Value);
        Assert.True(RngTestRig.WaitFor(() => _interrupt.LastQueue == 0));
    }

    [Fact]
    public void Input_held_back_at_a_reset_flows_again_in_the_next_activation()
    {
        using var client = Connect();
        client.Send("typed while no buffer\n"u8); // input is paused: the guest has posted no receive buffer
        Thread.Sleep(100);

        _console.Reset(); // the guest reboots
        _console.Activate(new VirtioActivation(_memory, 1UL << VirtioFeatures.Version1,
            [new MockQueue(_memory, 16).Config, new MockQueue(_memory, 64, MockQueue.SecondQueueOffset).Config], _interrupt));
        var rx = new MockQueue(_memory, 16);
        rx.AddChain((RxBuffers, 64, true));
        _console.QueueNotify(0);
        client.Send("after the reboot\n"u8);

        Assert.True(RngTestRig.WaitFor(() => _console.Metrics.RxBytes.Value >= 17), $"{_console.Metrics.RxBytes.Value} bytes");
    }

    [Fact]
    public void A_second_client_is_told_the_console_is_busy()
    {
        using var first = Connect();
        using var second = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { ReceiveTimeout = 5000 };
        second.Connect(new UnixDomainSocketEndPoint(SocketPath));
        var buffer = new byte[200];
        var n = second.Receive(buffer);
        Assert.Contains("already has a client", Encoding.ASCII.GetString(buffer, 0, n));

        GuestWrites("still mine\n");
        Assert.Equal("still mine\n", ReadExactly(first, 11));
    }

    [Fact]
    public void A_client_that_does_not_read_holds_the_guest_back_and_then_gets_every_byte_in_order()
    {
        using var client = Connect();
        client.ReceiveBufferSize = 4096;
        // 32 chains of 16 KiB: far more than the socket's buffer (about 208 KiB) and the device's 64 KiB hold.
        var expected = new StringBuilder();
        for (var i = 0; i < 32; i++)
        {
            var text = new string((char)('A' + i), 16 * 1024);
            expected.Append(text);
            var at = TxBuffers + ((ulong)i * 0x4000);
            _memory.Write(at, Encoding.ASCII.GetBytes(text));
            _tx.AddChain((at, 16 * 1024, false));
        }

        _console.QueueNotify(1);
        Thread.Sleep(300);
        Assert.True(_tx.UsedIdx < 32, "every chain completed although the client read nothing");

        Assert.Equal(expected.ToString(), ReadExactly(client, 32 * 16 * 1024));
        Assert.True(RngTestRig.WaitFor(() => _tx.UsedIdx == 32));
    }

    [Fact]
    public void A_client_that_leaves_is_noticed_and_a_new_one_can_attach()
    {
        var first = Connect();
        first.Dispose();
        Assert.True(RngTestRig.WaitFor(() => !((UnixSocketConsoleBackend)_console.Backend).Connected), "the hang-up went unnoticed");
        GuestWrites("after the first left\n");
        Assert.True(RngTestRig.WaitFor(() => _tx.UsedIdx == 1));

        using var second = Connect();
        GuestWrites("to the second\n", 1);
        Assert.Equal("to the second\n", ReadExactly(second, 14));
    }

    [Fact]
    public void Output_to_a_file_is_appended()
    {
        var path = Path.Combine(_dir, "hvc0.log");
        File.WriteAllText(path, "earlier\n");
        using var memory = MockQueue.CreateMemory();
        var rx = new MockQueue(memory, 16);
        var tx = new MockQueue(memory, 16, MockQueue.SecondQueueOffset);
        using var console = new VirtioConsole(new FileConsoleBackend(path));
        console.Activate(new VirtioActivation(memory, 1UL << VirtioFeatures.Version1, [rx.Config, tx.Config], _interrupt));
        memory.Write(TxBuffers, "logged\n"u8);
        tx.AddChain((TxBuffers, 7, false));
        console.QueueNotify(1);

        Assert.True(RngTestRig.WaitFor(() => tx.UsedIdx == 1));
        Assert.Equal("earlier\nlogged\n", File.ReadAllText(path));
    }

    [Fact]
    public void Malformed_chains_are_answered_and_counted()
    {
        using var client = Connect();
        _tx.AddChain((MockQueue.MemorySize - 10, 100, false)); // outside guest memory
        _console.QueueNotify(1);
        _rx.AddChain((RxBuffers, 16, false)); // nothing writable
        _console.QueueNotify(0);
        client.Send("x"u8);

        Assert.True(RngTestRig.WaitFor(() => _tx.UsedIdx == 1 && _rx.UsedIdx == 1));
        Assert.Equal((0u, 0u), _tx.ReadUsed(0));
        Assert.Equal((0u, 0u), _rx.ReadUsed(0));
        Assert.True(RngTestRig.WaitFor(() => _console.Metrics.Errors.Value == 2));
    }
}
