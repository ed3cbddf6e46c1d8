namespace SharpVirt.Api.Tests;

/// <summary>
/// A table of malformed and ill-timed requests against a real server: each gets its status, names the field at fault
/// and says why; and nothing a refused request carried is kept (a good configuration given before stays as it was).
/// </summary>
public sealed class BadRequestTests : IAsyncLifetime
{
    private ApiHarness _api = null!;

    public async Task InitializeAsync() => _api = await ApiHarness.StartAsync();

    public async Task DisposeAsync() => await _api.DisposeAsync();

    public static TheoryData<string, string, string?, int, string?, string> Cases => new()
    {
        // Not JSON, or not the JSON expected.
        { "PUT", "/machine-config", "{", 400, "body", "" },
        { "PUT", "/machine-config", "", 400, "body", "empty" },
        { "PUT", "/machine-config", "null", 400, "body", "null is not an object" },
        { "PUT", "/machine-config", "[1,2]", 400, "body", "" },
        { "PUT", "/machine-config", "{\"vcpu_count\":\"2\"}", 400, "vcpu_count", "expected an integer" },
        { "PUT", "/machine-config", "{\"vcpu_count\":2.5}", 400, "vcpu_count", "expected an integer" },
        { "PUT", "/machine-config", "{\"vcpu_count\":99999999999}", 400, "vcpu_count", "expected an integer" },
        { "PUT", "/machine-config", "{\"vcpus\":2}", 400, "vcpus", "unknown field" },
        { "PUT", "/machine-config", "{\"vcpu_count\":0}", 400, "vcpu_count", "must be between 1 and 255" },
        { "PUT", "/machine-config", "{\"vcpu_count\":256}", 400, "vcpu_count", "must be between 1 and 255" },
        { "PUT", "/machine-config", "{\"mem_size_mib\":1}", 400, "mem_size_mib", "too small" },
        { "PUT", "/machine-config", "{\"mem_size_mib\":1099511627776}", 400, "mem_size_mib", "more than this host" },
        { "PUT", "/machine-config", "{\"cpu_template\":\"nope\"}", 400, "cpu_template", "unknown template" },
        { "PUT", "/machine-config", "{\"on_reboot\":\"explode\"}", 400, "on_reboot", "\"restart\" or \"exit\"" },
        { "PUT", "/machine-config", "{\"on_reboot\":true}", 400, "on_reboot", "" },
        { "PUT", "/boot-source", "{}", 400, "body", "missing required field" },
        { "PUT", "/boot-source", "{\"kernel_image_path\":\"/nonexistent/vmlinux\"}", 400, "kernel_image_path", "no such file" },
        { "PUT", "/boot-source", "{\"kernel_image_path\":\"/tmp\"}", 400, "kernel_image_path", "is a directory" },
        { "PUT", "/boot-source", "{\"kernel_image_path\":42}", 400, "kernel_image_path", "expected a string" },
        { "PUT", "/drives/vda", "{\"path_on_host\":\"/nonexistent.img\"}", 400, "path_on_host", "no such file" },
        { "PUT", "/drives/vda", "{\"drive_id\":\"vdb\",\"path_on_host\":\"/nonexistent.img\"}", 400, "drive_id", "differs from the id in the path" },
        { "PUT", "/drives/bad%20id", "{\"path_on_host\":\"/nonexistent.img\"}", 400, "id", "letters, digits" },
        { "PUT", "/drives/vda", "{\"path_on_host\":\"/etc/hostname\",\"is_read_only\":\"yes\"}", 400, "is_read_only", "expected true or false" },
        { "PUT", "/drives/vda", "{\"path_on_host\":\"/etc/hostname\",\"rate_limiter\":{\"bandwidth\":{\"size\":0,\"refill_time\":100}}}", 400, "rate_limiter.bandwidth.size", "at least 1 token" },
        { "PUT", "/network-interfaces/eth0", "{\"host_dev_name\":\"a/b\"}", 400, "host_dev_name", "not an interface name" },
        { "PUT", "/network-interfaces/eth0", "{\"host_dev_name\":\"tap0\",\"guest_mac\":\"zz\"}", 400, "guest_mac", "not a MAC address" },
        { "PUT", "/network-interfaces/eth0", "{\"host_dev_name\":\"tap0\",\"guest_mac\":\"01:00:00:00:00:01\"}", 400, "guest_mac", "multicast" },
        { "PUT", "/balloon", "{\"amount_mib\":-1}", 400, "amount_mib", "must be from 0" },
        { "PUT", "/balloon", "{\"amount_mib\":100000}", 400, "amount_mib", "must be from 0" },
        { "PUT", "/balloon", "{\"stats_polling_interval_s\":-5}", 400, "stats_polling_interval_s", "" },
        { "PUT", "/vsock", "{\"guest_cid\":2,\"uds_path\":\"/tmp/v.sock\"}", 400, "guest_cid", "reserved" },
        { "PUT", "/vsock", "{\"guest_cid\":3}", 400, "body", "missing required field" },
        { "PUT", "/console", "{}", 400, "console", "exactly one" },
        { "PUT", "/entropy", "{\"rate\":1}", 400, "rate", "unknown field" },
        { "PUT", "/actions", "{\"action\":\"explode\"}", 400, "action", "\"start\", \"pause\"" },
        { "PUT", "/actions", "{\"action_type\":\"InstanceStart\"}", 400, "action_type", "unknown field" },
        { "PATCH", "/vm", "{\"state\":\"Frozen\"}", 400, "state", "Paused or Resumed" },
        { "PUT", "/migrate", "{}", 400, "body", "missing required field" },
        { "GET", "/migrate?wait_ms=soon", null, 400, "wait_ms", "not from 0 to 60000" },
        { "GET", "/migrate?wait_ms=99999", null, 400, "wait_ms", "not from 0 to 60000" },
        { "PUT", "/migrate", "{\"destination_url\":\"tcp:h:1\",\"speed\":1}", 400, "speed", "unknown field" },
        { "PUT", "/migrate", "{\"destination_url\":\"h:4444\"}", 400, "destination_url", "tcp:HOST:PORT" },
        { "PUT", "/migrate", "{\"destination_url\":\"tcp:h:0\"}", 400, "destination_url", "no port from 1 to 65535" },
        { "PUT", "/migrate", "{\"destination_url\":\"tcp:h:1\",\"downtime_limit_ms\":0}", 400, "downtime_limit_ms", "not from 1 to 60000" },
        { "PUT", "/migrate", "{\"destination_url\":\"tcp:h:1\",\"downtime_limit_ms\":\"fast\"}", 400, "downtime_limit_ms", "expected an integer" },
        { "PUT", "/migrate", "{\"destination_url\":\"tcp:h:1\",\"max_rounds\":0}", 400, "max_rounds", "not from 1 to 1000" },
        // Right input, wrong state: nothing runs yet.
        { "PUT", "/actions", "{\"action\":\"start\"}", 400, "boot-source", "no boot source yet" },
        { "PUT", "/actions", "{\"action\":\"pause\"}", 409, null, "not started" },
        { "PUT", "/actions", "{\"action\":\"resume\"}", 409, null, "not started" },
        { "PUT", "/actions", "{\"action\":\"flush\"}", 409, null, "need a running guest" },
        { "PUT", "/actions", "{\"action\":\"power_button\"}", 409, null, "cannot press the power button: the guest is not started" },
        { "PUT", "/actions", "{\"action\":\"ctrl_alt_del\"}", 409, null, "cannot send Ctrl-Alt-Del: the guest is not started" },
        { "PATCH", "/vm", "{\"state\":\"Paused\"}", 409, null, "not started" },
        { "PATCH", "/balloon", "{\"amount_mib\":10}", 409, null, "need a running guest" },
        { "PATCH", "/drives/vda", "{\"rate_limiter\":{}}", 409, null, "need a running guest" },
        { "PATCH", "/network-interfaces/eth0", "{\"rx_rate_limiter\":{}}", 409, null, "need a running guest" },
        { "GET", "/balloon/statistics", null, 409, null, "not started" },
        { "PUT", "/migrate", "{\"destination_url\":\"tcp:127.0.0.1:4444\"}", 409, null, "cannot migrate: the guest is not started" },
        { "DELETE", "/migrate", null, 409, null, "no migration is in progress" },
        { "GET", "/balloon", null, 404, "balloon", "no balloon" },
        { "GET", "/vm/config", null, 404, "boot-source", "nothing configured yet" },
        // No such resource.
        { "GET", "/nonexistent", null, 404, null, "no resource GET /nonexistent" },
        { "DELETE", "/actions", null, 404, null, "no resource DELETE /actions" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Each_bad_request_gets_its_status_the_field_and_the_reason(string method, string path, string? body, int status, string? field, string reason)
    {
        var (gotStatus, gotBody) = await _api.Send(method, path, body);
        Assert.True(status == gotStatus, $"{method} {path} {body}: status {gotStatus}, expected {status}; body {gotBody}");
        var error = ApiHarness.Error(gotBody);
        Assert.Equal(field, error.Field);
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_put_leaves_the_configuration_given_before_as_it_was()
    {
        Assert.Equal(204, (await _api.Send("PUT", "/machine-config", "{\"vcpu_count\":2,\"mem_size_mib\":128}")).Status);
        Assert.Equal(400, (await _api.Send("PUT", "/machine-config", "{\"vcpu_count\":2,\"mem_size_mib\":1}")).Status);
        Assert.Equal(400, (await _api.Send("PUT", "/machine-config", "{\"vcpu_count\":3,\"bogus\":1}")).Status);
        var (status, body) = await _api.Send("GET", "/machine-config");
        Assert.Equal(200, status);
        Assert.Contains("\"vcpu_count\": 2", body, StringComparison.Ordinal);
        Assert.Contains("\"mem_size_mib\": 128", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_over_64_KiB_is_refused_with_413()
    {
        var huge = "{\"boot_args\":\"" + new string('x', ApiServer.MaxBodyBytes) + "\",\"kernel_image_path\":\"/x\"}";
        var (status, body) = await _api.Send("PUT", "/boot-source", huge);
        Assert.Equal(413, status);
        Assert.Equal("body", ApiHarness.Error(body).Field);
    }

    [Fact]
    public async Task The_balloon_must_stay_below_the_memory_size_whichever_is_set_first()
    {
        Assert.Equal(204, (await _api.Send("PUT", "/machine-config", "{\"mem_size_mib\":128}")).Status);
        Assert.Equal(204, (await _api.Send("PUT", "/balloon", "{\"amount_mib\":100}")).Status);
        var (status, body) = await _api.Send("PUT", "/machine-config", "{\"mem_size_mib\":64}");
        Assert.Equal(400, status);
        Assert.Equal(("mem_size_mib", "64 MiB is not more than the balloon's 100 MiB target"), ApiHarness.Error(body));
    }
}
