using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using SharpVirt.Vmm.Control;

namespace SharpVirt.Vmm.Tests.Migration;

/// <summary>
/// A VMM waiting for a migration (<c>vmm --incoming</c>) against hostile or broken sources: each bad stream ends it
/// with one reason, tells the source why where it still can, and never builds a VM. No /dev/kvm needed: every case
/// fails before the VM is built.
/// </summary>
public sealed class IncomingMigrationTests : IDisposable
{
    private const string Config = """{"boot-source":{"kernel_image_path":"/nonexistent/kernel"},"machine-config":{"vcpu_count":1,"mem_size_mib":16}}""";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly VmmController _vmm = new("incoming-test", new ConsoleBackend(Stream.Null));

    public void Dispose() => _vmm.Dispose();

    public static TheoryData<string, string> BadStreams => new()
    {
        { "http", "not a SharpVirt migration stream" },
        { "future-version", "migration format 2" },
        { "bad-config", "the source's configuration" },
        { "huge-begin", "over the limit" },
        { "pages-outside-ram", "outside this guest's RAM" },
        { "pages-not-whole", "not whole pages" },
        { "zeros-bad-length", "not 16" },
        { "unknown-kind", "sent 99 in the middle of the memory" },
        { "closed-mid-pages", "connection closed in the middle" },
        { "bad-state", "not a SharpVirt snapshot state file" },
        { "source-error", "the source gave up: disk full" },
    };

    [Theory]
    [MemberData(nameof(BadStreams))]
    public async Task A_bad_stream_ends_the_waiting_VMM_with_the_reason(string stream, string reason)
    {
        var port = await _vmm.ReceiveMigration("tcp:127.0.0.1:0");
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        var net = client.GetStream();
        Send(net, stream);

        var outcome = await _vmm.Completion.WaitAsync(Timeout);
        Assert.Equal(VmOutcomeKind.Error, outcome.Kind);
        Assert.Contains($"incoming migration on tcp:127.0.0.1:0 failed: ", outcome.Message, StringComparison.Ordinal);
        Assert.Contains(reason, outcome.Message, StringComparison.Ordinal);
        Assert.Equal(Contracts.Api.VmState.Stopped, (await _vmm.GetInfo()).State);
    }

    [Fact]
    public async Task A_configuration_the_VMM_refuses_is_answered_with_an_error_message_to_the_source()
    {
        var port = await _vmm.ReceiveMigration("tcp:127.0.0.1:0");
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        var net = client.GetStream();
        Header(net);
        Frame(net, 1, Encoding.UTF8.GetBytes("""{"boot-source":{"kernel_image_path":"k"},"machine-config":{"vcpu_count":0}}"""));
        var answer = new byte[12 + 9];
        await net.ReadExactlyAsync(answer);
        Assert.Equal("SVMIGRAT", Encoding.ASCII.GetString(answer, 0, 8));
        Assert.Equal(10, answer[12]); // Error
        var text = new byte[BinaryPrimitives.ReadInt64LittleEndian(answer.AsSpan(13))];
        await net.ReadExactlyAsync(text);
        Assert.Contains("vcpu_count", Encoding.UTF8.GetString(text), StringComparison.Ordinal);
        await _vmm.Completion.WaitAsync(Timeout);
    }

    [Fact]
    public async Task While_waiting_the_VMM_refuses_configuration_and_start_and_a_second_incoming()
    {
        await _vmm.ReceiveMigration("tcp:127.0.0.1:0");
        var e = await Assert.ThrowsAsync<VmmControlException>(() => _vmm.SetMachine(new Contracts.MachineConfig()));
        Assert.Equal(VmmControlErrorKind.WrongState, e.Kind);
        Assert.Contains("waits for an incoming migration", e.Reason, StringComparison.Ordinal);
        e = await Assert.ThrowsAsync<VmmControlException>(_vmm.Start);
        Assert.Contains("waits for an incoming migration", e.Reason, StringComparison.Ordinal);
        e = await Assert.ThrowsAsync<VmmControlException>(() => _vmm.ReceiveMigration("tcp:127.0.0.1:0"));
        Assert.Equal(VmmControlErrorKind.WrongState, e.Kind);
    }

    [Theory]
    [InlineData("127.0.0.1:4444", "tcp:HOST:PORT")]
    [InlineData("tcp:127.0.0.1", "no port")]
    [InlineData("tcp:127.0.0.1:70000", "no port")]
    [InlineData("tcp::4444", "no host")]
    [InlineData("udp:127.0.0.1:4444", "tcp:HOST:PORT")]
    public async Task A_bad_address_is_refused_naming_the_field(string url, string reason)
    {
        var e = await Assert.ThrowsAsync<VmmControlException>(() => _vmm.ReceiveMigration(url));
        Assert.Equal(VmmControlErrorKind.BadRequest, e.Kind);
        Assert.Equal("incoming", e.Field);
        Assert.Contains(reason, e.Reason, StringComparison.Ordinal);
    }

    private static void Send(NetworkStream net, string stream)
    {
        switch (stream)
        {
            case "http":
                net.Write("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8);
                return;
            case "future-version":
                net.Write("SVMIGRAT"u8);
                net.Write([2, 0, 0, 0]);
                return;
            case "bad-config":
                Header(net);
                Frame(net, 1, "{\"boot-source\":"u8.ToArray());
                return;
            case "huge-begin":
                Header(net);
                FrameHead(net, 1, 1L << 40);
                return;
            case "source-error":
                Begin(net);
                Frame(net, 10, "disk full"u8.ToArray());
                return;
        }

        Begin(net);
        switch (stream)
        {
            case "pages-outside-ram":
                Pages(net, 1UL << 40, new byte[4096]);
                break;
            case "pages-not-whole":
                FrameHead(net, 3, 8 + 100);
                net.Write(new byte[108]);
                break;
            case "zeros-bad-length":
                Frame(net, 4, new byte[8]);
                break;
            case "unknown-kind":
                Frame(net, 99, []);
                break;
            case "closed-mid-pages":
                FrameHead(net, 3, 8 + 8192);
                net.Write(new byte[8 + 4096]);
                net.Socket.Shutdown(SocketShutdown.Send);
                break;
            case "bad-state":
                Pages(net, 0x1000, new byte[4096]);
                Frame(net, 5, "{}"u8.ToArray());
                break;
        }
    }

    /// <summary>Header and Begin, then the Accept read (the destination made the guest's memory).</summary>
    private static void Begin(NetworkStream net)
    {
        Header(net);
        Frame(net, 1, Encoding.UTF8.GetBytes(Config));
        var answer = new byte[12 + 9];
        net.ReadExactly(answer);
        Assert.Equal(2, answer[12]); // Accept
    }

    private static void Header(NetworkStream net)
    {
        net.Write("SVMIGRAT"u8);
        net.Write([1, 0, 0, 0]);
    }

    private static void Pages(NetworkStream net, ulong address, byte[] pages)
    {
        FrameHead(net, 3, 8 + pages.Length);
        var at = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(at, address);
        net.Write(at);
        net.Write(pages);
    }

    private static void Frame(NetworkStream net, byte kind, byte[] payload)
    {
        FrameHead(net, kind, payload.Length);
        net.Write(payload);
    }

    private static void FrameHead(NetworkStream net, byte kind, long length)
    {
        var frame = new byte[9];
        frame[0] = kind;
        BinaryPrimitives.WriteInt64LittleEndian(frame.AsSpan(1), length);
        net.Write(frame);
    }
}
