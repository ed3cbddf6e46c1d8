using System.Text;
using System.Text.Json;
using SharpVirt.Contracts;
using SharpVirt.Contracts.Api;

namespace SharpVirt.Manager.Supervision;

/// <summary>The manager's side of one VMM's REST API (as libvirt's QMP monitor is for QEMU).</summary>
public sealed class VmmClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly string _socket;

    /// <summary>A client for the VMM listening on <paramref name="socketPath"/>.</summary>
    public VmmClient(string socketPath)
    {
        _socket = socketPath;
        _http = UnixSocketHttp.Create(socketPath, TimeSpan.FromSeconds(30));
    }

    /// <summary>GET /: the guest's state; null when the VMM does not answer (not up yet, or gone).</summary>
    public async Task<InstanceInfo?> TryGetInfo(CancellationToken cancel = default)
    {
        if (!File.Exists(_socket))
        {
            return null;
        }

        try
        {
            using var response = await _http.GetAsync(new Uri("/", UriKind.Relative), cancel).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            var text = await response.Content.ReadAsStringAsync(cancel).ConfigureAwait(false);
            return JsonSerializer.Deserialize(text, ContractsJsonContext.Default.InstanceInfo);
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or IOException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>PUT /actions: true when the VMM accepted it, false when it could not be reached.</summary>
    /// <exception cref="ManagerException">The VMM refused the action (its message is kept).</exception>
    public async Task<bool> Act(VmAction action, CancellationToken cancel = default)
    {
        var body = JsonSerializer.Serialize(new ActionRequest { Action = action }, ContractsJsonContext.Default.ActionRequest);
        try
        {
            using var content = new StringContent(body, Encoding.UTF8, "application/json");
            using var response = await _http.PutAsync(new Uri("/actions", UriKind.Relative), content, cancel).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                return true;
            }

            var text = await response.Content.ReadAsStringAsync(cancel).ConfigureAwait(false);
            var reason = TryParseError(text) ?? text;
            throw new ManagerException((int)response.StatusCode == 409 ? ManagerErrorKind.Conflict : ManagerErrorKind.Host,
                "action", $"the VMM refused it: {reason}");
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
        {
            return false;
        }
    }

    private static string? TryParseError(string text)
    {
        try
        {
            return JsonSerializer.Deserialize(text, ContractsJsonContext.Default.ApiError)?.FaultMessage;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();
}
