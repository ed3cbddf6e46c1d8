using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace SharpVirt.IntegrationTests;

/// <summary>A client of a VMM's REST API socket, as curl --unix-socket would be, for the tests.</summary>
public sealed class VmmApi : IDisposable
{
    private readonly HttpClient _http;

    public VmmApi(string socketPath)
    {
        SocketPath = socketPath;
        _http = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (_, token) =>
            {
                var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await s.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), token);
                return new NetworkStream(s, ownsSocket: true);
            },
        })
        { BaseAddress = new Uri("http://localhost"), Timeout = TimeSpan.FromMinutes(5) };
    }

    public string SocketPath { get; }

    /// <summary>The default guest's kernel and initramfs (as scripts/setup.sh builds them).</summary>
    public static (string Kernel, string Initrd) DefaultGuest
    {
        get
        {
            var cache = Environment.GetEnvironmentVariable("SHARPVIRT_CACHE") is { Length: > 0 } dir
                ? dir : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "sharpvirt");
            var guest = Path.Combine(cache, "guest");
            var kernel = new[] { "vmlinux-microvm", "vmlinux-cloud", "bzImage-microvm", "bzImage-cloud" }
                .Select(n => Path.Combine(guest, n)).FirstOrDefault(File.Exists);
            Assert.True(kernel is not null, $"no default guest kernel in {guest}: run scripts/setup.sh");
            return (kernel!, Path.Combine(guest, "initramfs.cpio"));
        }
    }

    /// <summary>Waits until the socket accepts connections.</summary>
    public void WaitUntilListening(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (File.Exists(SocketPath))
            {
                try
                {
                    using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    probe.Connect(new UnixDomainSocketEndPoint(SocketPath));
                    return;
                }
                catch (SocketException)
                {
                }
            }

            Thread.Sleep(50);
        }

        Assert.Fail($"{SocketPath} did not accept connections within {timeout.TotalSeconds} s");
    }

    public (int Status, string Body) Send(string method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        using var response = _http.SendAsync(request).GetAwaiter().GetResult();
        return ((int)response.StatusCode, response.Content.ReadAsStringAsync().GetAwaiter().GetResult());
    }

    /// <summary>Sends and asserts the status; returns the body.</summary>
    public string Expect(int status, string method, string path, string? json = null)
    {
        var (got, body) = Send(method, path, json);
        Assert.True(got == status, $"{method} {path}: HTTP {got}, expected {status}: {body}");
        return body;
    }

    /// <summary>A JSON value at a dotted path ("state", "devices.vda.counters.write_count") of a GET's answer.</summary>
    public JsonElement Get(string path, string property)
    {
        using var doc = JsonDocument.Parse(Expect(200, "GET", path));
        var element = doc.RootElement;
        foreach (var part in property.Split('.'))
        {
            element = element.GetProperty(part);
        }

        return element.Clone();
    }

    /// <summary>A JSON string with quotes escaped, for building bodies.</summary>
    public static string Quote(string s) => JsonSerializer.Serialize(s);

    public void Dispose() => _http.Dispose();
}
