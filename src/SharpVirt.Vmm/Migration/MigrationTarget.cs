using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using SharpVirt.Boot;
using SharpVirt.Contracts;
using SharpVirt.Memory;
using SharpVirt.Vmm.Snapshot;

namespace SharpVirt.Vmm.Migration;

/// <summary>What receiving a guest asks of the VMM; each call runs on its control loop.</summary>
internal interface IMigrationTargetHost
{
    /// <summary>Builds the VM from the state and the memory received (devices opened, vCPUs not run); throws to refuse.</summary>
    void Build(VmSnapshot snapshot, VmSpec spec, GuestMemory memory);

    /// <summary>The source committed: run the VM built.</summary>
    void Run();

    /// <summary>Receiving failed (the VM built, if any, is dropped): the VMM ends with this reason.</summary>
    void Failed(string reason);
}

/// <summary>
/// Receives a guest (<c>sharpvirt vmm --incoming tcp:HOST:PORT</c>): listens, takes one source, builds guest memory as
/// the source's configuration says and fills it as pages arrive, then builds the VM from the state and runs it on
/// the source's commit. Every message is checked: a page outside guest memory, a message of the wrong kind or size,
/// or a state that does not decode ends the migration with an error to the source.
/// </summary>
internal sealed class MigrationTarget
{
    private readonly MigrationAddress _address;
    private readonly IMigrationTargetHost _host;
    private readonly TcpListener _listener;
    private readonly Thread _thread;

    public MigrationTarget(MigrationAddress address, IMigrationTargetHost host)
    {
        _address = address;
        _host = host;
        var ip = IPAddress.TryParse(address.Host, out var parsed) ? parsed
            : Dns.GetHostAddresses(address.Host).FirstOrDefault() ?? throw new MigrationException($"{address}: the host name does not resolve");
        _listener = new TcpListener(ip, address.Port);
        _listener.Start(1); // throws SocketException (address in use, not ours) before the VMM says it waits
        _thread = new Thread(Receive) { Name = "migration-receive", IsBackground = true };
    }

    /// <summary>The port listened on (the one given, or the one the kernel chose for port 0).</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public void Start() => _thread.Start();

    /// <summary>Stops waiting (the VMM ends before a source came).</summary>
    public void Stop() => _listener.Stop();

    private void Receive()
    {
        GuestMemory? memory = null;
        var built = false;
        TcpClient? client = null;
        try
        {
            client = _listener.AcceptTcpClient();
            _listener.Stop(); // one source
            client.NoDelay = true;
            var net = client.GetStream();
            var input = new BufferedStream(net, 1 << 20);
            MigrationWire.ReadHeader(input);
            MigrationWire.WriteHeader(net);
            var (spec, created) = Begin(input, net);
            memory = created;
            var snapshot = ReceiveMemory(input, memory);
            try
            {
                VmBuilder.CheckMatches(spec, snapshot);
            }
            catch (SnapshotException e)
            {
                throw Refuse(net, e.Message);
            }

            MigrationWire.Write(net, MessageKind.Ready, []);
            MigrationWire.Expect(input, MessageKind.Go, "source");
            try
            {
                _host.Build(snapshot, spec, memory);
            }
            catch (Exception e) when (e is not MigrationException)
            {
                memory = null; // the build owned it and disposed it
                throw Refuse(net, e.Message);
            }

            memory = null;
            built = true;
            MigrationWire.Write(net, MessageKind.Built, []);
            MigrationWire.Expect(input, MessageKind.Commit, "source");
            _host.Run();
        }
        catch (Exception e) when (e is MigrationException or IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            memory?.Dispose();
            var reason = e is MigrationException ? e.Message : $"the connection broke: {e.Message}";
            _host.Failed(built ? $"the source did not commit: {reason}" : $"incoming migration on {_address} failed: {reason}");
        }
        finally
        {
            client?.Dispose();
        }
    }

    private static (VmSpec Spec, GuestMemory Memory) Begin(Stream input, Stream output)
    {
        var payload = MigrationWire.Expect(input, MessageKind.Begin, "source");
        VmSpec spec;
        try
        {
            var config = JsonSerializer.Deserialize(payload, ContractsJsonContext.Default.VmConfig)
                ?? throw new MigrationException("the source sent an empty configuration");
            spec = VmSpecFactory.ForMigration(config);
        }
        catch (Exception e) when (e is JsonException or ConfigException)
        {
            throw Refuse(output, $"the source's configuration: {e.Message}");
        }

        GuestMemory memory;
        try
        {
            memory = GuestMemory.Create(GuestRamLayout.Ranges(spec.MemoryBytes));
        }
        catch (GuestMemoryException e)
        {
            throw Refuse(output, e.Message);
        }

        MigrationWire.Write(output, MessageKind.Accept, []);
        return (spec, memory);
    }

    /// <summary>Takes Pages and Zeros into <paramref name="memory"/> until the State, which it returns decoded.</summary>
    private static VmSnapshot ReceiveMemory(Stream input, GuestMemory memory)
    {
        Span<byte> head = stackalloc byte[16];
        while (true)
        {
            var (kind, length) = MigrationWire.ReadFrame(input);
            switch (kind)
            {
                case MessageKind.Pages:
                    if (length < 8 + (long)GuestMemory.PageSize || length > 8 + MigrationWire.MaxPagesBytes || (length - 8) % (long)GuestMemory.PageSize != 0)
                    {
                        throw new MigrationException($"a Pages message of {length} bytes is not whole pages");
                    }

                    MigrationWire.ReadExactly(input, head[..8]);
                    var address = BinaryPrimitives.ReadUInt64LittleEndian(head);
                    CheckRange(memory, address, (ulong)(length - 8));
                    MigrationWire.ReadExactly(input, memory.GetSpan(address, (int)(length - 8)));
                    break;
                case MessageKind.Zeros:
                    if (length != 16)
                    {
                        throw new MigrationException($"a Zeros message of {length} bytes, not 16");
                    }

                    MigrationWire.ReadExactly(input, head);
                    var start = BinaryPrimitives.ReadUInt64LittleEndian(head);
                    var size = BinaryPrimitives.ReadUInt64LittleEndian(head[8..]);
                    CheckRange(memory, start, size);
                    if (!memory.Discard(start, size))
                    {
                        memory.Clear(start, checked((int)size));
                    }

                    break;
                case MessageKind.State:
                    var state = MigrationWire.ReadDocument(input, kind, length);
                    try
                    {
                        return SnapshotFile.Parse(state, "the migration state");
                    }
                    catch (SnapshotException e)
                    {
                        throw new MigrationException(e.Message);
                    }

                case MessageKind.Error:
                    throw new MigrationException($"the source gave up: {Encoding.UTF8.GetString(MigrationWire.ReadDocument(input, kind, length))}");
                default:
                    throw new MigrationException($"the source sent {kind} in the middle of the memory");
            }
        }
    }

    private static void CheckRange(GuestMemory memory, ulong address, ulong length)
    {
        if (address % GuestMemory.PageSize != 0 || length % GuestMemory.PageSize != 0 || length > int.MaxValue || !memory.IsValidRange(address, length))
        {
            throw new MigrationException($"the source sent memory at 0x{address:x}+0x{length:x}, outside this guest's RAM or not whole pages");
        }
    }

    /// <summary>Tells the source why (best effort) and returns the error to throw here.</summary>
    private static MigrationException Refuse(Stream output, string reason)
    {
        try
        {
            MigrationWire.WriteText(output, MessageKind.Error, reason);
        }
        catch (IOException)
        {
            // The source is gone already.
        }

        return new MigrationException(reason);
    }
}
