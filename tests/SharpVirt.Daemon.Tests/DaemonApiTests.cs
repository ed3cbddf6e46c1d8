using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using SharpVirt.Contracts;
using SharpVirt.Daemon;
using SharpVirt.Manager;
using SharpVirt.TestUtils;

namespace SharpVirt.Daemon.Tests;

/// <summary>
/// The daemon's API on a real Unix socket and a real database (no VMM is started: VMMs are the integration tests'):
/// the OpenAPI document matches the routes, the socket is group-only, and bad requests get their status and field.
/// </summary>
public sealed class DaemonApiTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sv-daemon-api-").FullName;
    private DaemonServer? _server;
    private HttpClient? _http;

    public async Task InitializeAsync()
    {
        _server = await DaemonServer.StartAsync(new DaemonOptions
        {
            Paths = new ManagerPaths(Path.Combine(_dir, "state"), Path.Combine(_dir, "run")),
            VmmBinary = "/bin/false",
            CheckConfig = config =>
            {
                if (config.Machine.VcpuCount < 1)
                {
                    throw new ConfigException("vcpu_count", "0 vCPUs: use 1 or more");
                }
            },
        });
        _http = UnixSocketHttp.Create(_server.SocketPath, TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void The_document_and_the_server_have_the_same_routes_and_methods()
    {
        var app = WebApplication.CreateSlimBuilder().Build();
        // Routes are mapped onto the running server's manager; the app is never started.
        DaemonServer.MapRoutes(app, _server!.Manager);
        var served = ((IEndpointRouteBuilder)app).DataSources
            .SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => $"{m} {e.RoutePattern.RawText}"))
            .Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(OpenApiOperations.Of(DaemonOpenApi.Text), served);
        Assert.True(served.Length >= 8, string.Join(", ", served));
    }

    [Fact]
    public async Task The_socket_is_for_its_owner_and_group_only_and_serves_the_document()
    {
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite,
            File.GetUnixFileMode(_server!.SocketPath));
        var (status, body) = await Send(HttpMethod.Get, "/openapi.yaml");
        Assert.Equal(200, status);
        Assert.Equal(DaemonOpenApi.Text, body);
    }

    [Theory]
    [InlineData("GET", "/v1/vms/nosuch", null, 404, "name: no VM named 'nosuch' is defined")]
    [InlineData("POST", "/v1/vms", "", 400, "body: empty")]
    [InlineData("POST", "/v1/vms", "{\"name\":\"a\"}", 400, "missing")]
    [InlineData("POST", "/v1/vms", "{\"name\":\"a\",\"config\":{\"boot-source\":{\"kernel_image_path\":\"/k\"}},\"colour\":1}", 400, "colour: unknown field")]
    [InlineData("POST", "/v1/vms", "{\"name\":\"A\",\"config\":{\"boot-source\":{\"kernel_image_path\":\"/k\"}}}", 400, "name: 'A' must start")]
    [InlineData("POST", "/v1/vms", "{\"name\":\"a\",\"config\":{\"boot-source\":{\"kernel_image_path\":\"/k\"},\"machine-config\":{\"vcpu_count\":0}}}", 400, "config.vcpu_count: 0 vCPUs")]
    [InlineData("POST", "/v1/vms", "{\"name\":\"a\",\"config\":{\"boot-source\":{\"kernel_image_path\":\"/k\"}},\"restart_policy\":\"sometimes\"}", 400, "restart_policy")]
    [InlineData("PUT", "/v1/vms/nosuch/state", "{\"action\":\"start\"}", 404, "no VM named 'nosuch'")]
    [InlineData("PUT", "/v1/vms/nosuch/state", "{\"action\":\"jump\"}", 400, "action")]
    [InlineData("PUT", "/v1/vms/nosuch/state", "{\"action\":\"start\",\"timeout_s\":5}", 400, "timeout_s: only a stop waits")]
    [InlineData("PATCH", "/v1/vms/nosuch", "{\"autostart\":true}", 404, "no VM named 'nosuch'")]
    [InlineData("DELETE", "/v1/vms/nosuch", null, 404, "no VM named 'nosuch'")]
    [InlineData("GET", "/v2/things", null, 404, "no resource GET /v2/things")]
    public async Task Bad_requests_get_their_status_and_the_field(string method, string path, string? body, int status, string message)
    {
        var (got, text) = await Send(new HttpMethod(method), path, body);
        Assert.True(got == status, $"{method} {path}: {got} {text}");
        Assert.Contains(message, text, StringComparison.Ordinal);
        Assert.Contains("\"fault_message\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_defined_vm_is_listed_and_a_second_define_of_its_name_changes_nothing()
    {
        const string Define = "{\"name\":\"web1\",\"config\":{\"boot-source\":{\"kernel_image_path\":\"/k\"},\"machine-config\":{\"vcpu_count\":2,\"mem_size_mib\":300}}}";
        var (status, body) = await Send(HttpMethod.Post, "/v1/vms", Define);
        Assert.True(status == 201, body);
        (status, body) = await Send(HttpMethod.Post, "/v1/vms", Define.Replace("\"vcpu_count\":2", "\"vcpu_count\":4", StringComparison.Ordinal));
        Assert.Equal(409, status);
        Assert.Contains("already defined", body, StringComparison.Ordinal);
        (_, body) = await Send(HttpMethod.Get, "/v1/vms/web1/definition");
        Assert.Contains("\"vcpu_count\": 2", body, StringComparison.Ordinal);
        (_, body) = await Send(HttpMethod.Get, "/v1/vms");
        Assert.Contains("\"name\": \"web1\"", body, StringComparison.Ordinal);
        Assert.Contains("\"state\": \"stopped\"", body, StringComparison.Ordinal);
        (status, _) = await Send(HttpMethod.Delete, "/v1/vms/web1");
        Assert.Equal(204, status);
    }

    private async Task<(int Status, string Body)> Send(HttpMethod method, string path, string? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var response = await _http!.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public async Task DisposeAsync()
    {
        _http?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        Directory.Delete(_dir, recursive: true);
    }
}
