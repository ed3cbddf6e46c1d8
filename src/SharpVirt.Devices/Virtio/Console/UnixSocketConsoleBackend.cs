using System.Net.Sockets;
using System.Text;
using SharpVirt.Devices.EventLoop;
using SharpVirt.Interop.Net;
using SharpVirt.Interop.Events;

namespace SharpVirt.Devices.Virtio.Console;

/// <summary>
/// A console on a Unix socket the VMM listens on (as QEMU's <c>-chardev socket,server=on</c>): one client at a time
/// reads the guest's output and types its input (<c>socat - UNIX-CONNECT:path</c>, <c>nc -U path</c>); while nobody is
/// connected, output is dropped. A second client is told the console is busy. All I/O is non-blocking.
/// </summary>
public sealed class UnixSocketConsoleBackend : IConsoleBackend
{
    private static readonly byte[] Busy = Encoding.ASCII.GetBytes("sharpvirt: this console already has a client\r\n");
    private readonly UnixListener _listener;
    private DeviceEventLoop? _loop;
    private Action? _onInput;
    private Action? _onWritable;
    private Socket? _client;
    private bool _inputPaused;
    private bool _waitingToWrite;

    /// <summary>Listens on <paramref name="path"/>, replacing a stale socket file there.</summary>
    /// <exception cref="SocketException">The socket cannot be created there.</exception>
    public UnixSocketConsoleBackend(string path) => _listener = new UnixListener(path, backlog: 4);

    /// <summary>The socket's path.</summary>
    public string Path => _listener.Path;

    /// <summary>Whether a client is connected.</summary>
    public bool Connected => _client is not null;

    /// <inheritdoc />
    public void Start(DeviceEventLoop loop, Action onInput, Action onWritable)
    {
        ArgumentNullException.ThrowIfNull(loop);
        _loop = loop;
        _onInput = onInput;
        _onWritable = onWritable;
        _waitingToWrite = false;
        _inputPaused = false; // a new activation: its receive side starts unpaused
        loop.Add(_listener.Socket.SafeHandle, Epoll.In, _ => Accept());
        if (_client is not null)
        {
            loop.Add(_client.SafeHandle, ClientEvents(), OnClientEvent);
        }
    }

    /// <inheritdoc />
    public void PauseInput(bool paused)
    {
        _inputPaused = paused;
        UpdateClientEvents();
    }

    /// <inheritdoc />
    public int Read(Span<byte> buffer)
    {
        if (_client is not { } client)
        {
            return 0;
        }

        var n = client.Receive(buffer, SocketFlags.None, out var error);
        if (error == SocketError.WouldBlock)
        {
            return 0;
        }

        if (error != SocketError.Success || n == 0)
        {
            Disconnect(); // the client went away
            return 0;
        }

        return n;
    }

    /// <inheritdoc />
    public int Write(ReadOnlySpan<byte> data)
    {
        if (_client is not { } client)
        {
            return data.Length;
        }

        var n = client.Send(data, SocketFlags.None, out var error);
        if (error == SocketError.WouldBlock || (error == SocketError.Success && n < data.Length))
        {
            _waitingToWrite = true;
            UpdateClientEvents();
            return Math.Max(n, 0);
        }

        if (error != SocketError.Success)
        {
            Disconnect();
            return data.Length;
        }

        return n;
    }

    private void Accept()
    {
        Socket accepted;
        try
        {
            accepted = _listener.Socket.Accept();
        }
        catch (SocketException)
        {
            return; // nothing to accept after all
        }

        if (_client is not null)
        {
            accepted.Send(Busy, SocketFlags.None, out _); // a client that already left gets nothing
            accepted.Dispose();
            return;
        }

        accepted.Blocking = false;
        _client = accepted;
        _loop!.Add(accepted.SafeHandle, ClientEvents(), OnClientEvent);
        _onInput!(); // input may already be waiting
    }

    private void OnClientEvent(uint events)
    {
        if ((events & Epoll.Out) != 0)
        {
            _waitingToWrite = false;
            UpdateClientEvents();
            _onWritable!();
        }

        if ((events & (Epoll.In | Epoll.Hangup | Epoll.Error | Epoll.PeerHangup)) != 0)
        {
            _onInput!(); // the device reads; a closed client shows up there as end of input
            if (_client is not null && (events & (Epoll.Hangup | Epoll.Error)) != 0)
            {
                Disconnect();
            }
        }
    }

    private uint ClientEvents() => (_inputPaused ? 0 : Epoll.In | Epoll.PeerHangup) | (_waitingToWrite ? Epoll.Out : 0);

    private void UpdateClientEvents()
    {
        if (_client is { } client && _loop is { } loop)
        {
            loop.Modify(client.SafeHandle, ClientEvents());
        }
    }

    private void Disconnect()
    {
        if (_client is not { } client)
        {
            return;
        }

        _client = null;
        _waitingToWrite = false;
        _loop?.Remove(client.SafeHandle);
        client.Dispose();
        _onWritable?.Invoke(); // output held for it is now dropped, the guest may go on
    }

    /// <summary>Closes the client and the listener and removes the socket file.</summary>
    public void Dispose()
    {
        _client?.Dispose();
        _listener.Dispose();
    }
}
