using System.Text;
using System.Text.RegularExpressions;

namespace SharpVirt.IntegrationTests;

/// <summary>The real default guest configured, started, paused, resumed, resized and stopped through the REST API.</summary>
public sealed partial class ApiTests : IDisposable
{
    private static readonly TimeSpan BootTimeout = TimeSpan.FromMinutes(4);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);
    private readonly string _dir = Directory.CreateTempSubdirectory("sv-api-").FullName;

    [KvmFact]
    public void A_guest_configured_over_the_api_boots_pauses_resumes_and_keeps_its_counter_disk_and_balloon()
    {
        var socket = Path.Combine(_dir, "api.sock");
        var image = Path.Combine(_dir, "data.img");
        File.WriteAllBytes(image, new byte[4 << 20]);
        using var vmm = SharpVirtProcess.Start("vmm", "--api-socket", socket, "--id", "api-test");
        using var api = new VmmApi(socket);
        api.WaitUntilListening(TimeSpan.FromSeconds(20));
        Assert.Equal("not-started", api.Get("/", "state").GetString());
        Assert.Equal("api-test", api.Get("/", "id").GetString());

        var (kernel, initrd) = VmmApi.DefaultGuest;
        api.Expect(204, "PUT", "/machine-config", "{\"vcpu_count\":2,\"mem_size_mib\":256}");
        api.Expect(204, "PUT", "/boot-source", $"{{\"kernel_image_path\":{VmmApi.Quote(kernel)},\"initrd_path\":{VmmApi.Quote(initrd)}}}");
        api.Expect(204, "PUT", "/drives/data", $"{{\"path_on_host\":{VmmApi.Quote(image)}}}");
        api.Expect(204, "PUT", "/balloon", "{\"amount_mib\":0,\"stats_polling_interval_s\":1}");
        api.Expect(204, "PUT", "/actions", "{\"action\":\"start\"}");
        Assert.Equal("running", api.Get("/", "state").GetString());
        api.Expect(409, "PUT", "/drives/late", $"{{\"path_on_host\":{VmmApi.Quote(image)}}}");

        var at = vmm.WaitFor("SHARPVIRT-READY", BootTimeout);
        at = vmm.WaitFor("~ # ", CommandTimeout, at);
        // A counter that runs on its own in the guest: it must stand still while paused and go on after.
        vmm.Type("(i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 1; done) & until [ -s /tmp/count ]; do sleep 1; done; echo started-$(cat /tmp/count)");
        var started = int.Parse(vmm.WaitForMatch(StartedPattern(), CommandTimeout, at).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        at = vmm.Output.Length;

        api.Expect(204, "PUT", "/actions", "{\"action\":\"pause\"}");
        Assert.Equal("paused", api.Get("/", "state").GetString());
        api.Expect(409, "PUT", "/actions", "{\"action\":\"pause\"}");
        vmm.Type("echo paused-$((40+2))-$(cat /tmp/count)");
        Thread.Sleep(3000);
        Assert.DoesNotContain("paused-42", vmm.Output[at..]);
        api.Expect(204, "PATCH", "/vm", "{\"state\":\"Resumed\"}");
        var after = vmm.WaitForMatch(PausedPattern(), CommandTimeout, at);
        Assert.True(int.Parse(after.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= started,
            $"the counter went back: {started} then {after.Groups[1].Value}");
        vmm.Type("sleep 2; echo later-$(cat /tmp/count)");
        var later = vmm.WaitForMatch(LaterPattern(), CommandTimeout, after.Index);
        Assert.True(int.Parse(later.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > int.Parse(after.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture),
            "the counter did not go on after resume");

        // The disk works after the pause, and flush makes its data durable.
        vmm.Type("echo disk-$((6*7)) | dd of=/dev/vda conv=fsync 2>/dev/null; echo wrote-$((6*7))");
        vmm.WaitFor("wrote-42", CommandTimeout, later.Index);
        api.Expect(204, "PUT", "/actions", "{\"action\":\"flush\"}");
        Assert.True(api.Get("/metrics", "devices.data.counters.write_requests").GetInt64() > 0);
        Assert.Contains("sharpvirt_block_write_requests{instance_id=\"api-test\",device=\"data\"}", api.Expect(200, "GET", "/metrics/prometheus"), StringComparison.Ordinal);

        // A live change of the disk's image: the guest reads the new one and sees its size.
        var second = Path.Combine(_dir, "second.img");
        var content = new byte[8 << 20];
        Encoding.ASCII.GetBytes("image-two\n").CopyTo(content, 0);
        File.WriteAllBytes(second, content);
        api.Expect(400, "PATCH", "/drives/data", "{\"path_on_host\":\"/nonexistent.img\"}");
        api.Expect(204, "PATCH", "/drives/data", $"{{\"path_on_host\":{VmmApi.Quote(second)}}}");
        Assert.Equal(second, api.Get("/vm/config", "drives").EnumerateArray().First().GetProperty("path_on_host").GetString());
        vmm.Type("sleep 1; cat /sys/block/vda/size; sync; echo 3 > /proc/sys/vm/drop_caches; dd if=/dev/vda bs=10 count=1 2>/dev/null");
        at = vmm.WaitFor("\n16384", CommandTimeout, later.Index);
        vmm.WaitFor("image-two", CommandTimeout, at);
        api.Expect(204, "PATCH", "/drives/data", $"{{\"path_on_host\":{VmmApi.Quote(image)}}}");

        // Live updates: a rate limit on the disk, the balloon's target.
        api.Expect(204, "PATCH", "/drives/data", "{\"rate_limiter\":{\"ops\":{\"size\":1000,\"refill_time\":1000}}}");
        api.Expect(404, "PATCH", "/drives/nope", "{\"rate_limiter\":{}}");
        api.Expect(204, "PATCH", "/balloon", "{\"amount_mib\":32}");
        Assert.Equal(32, api.Get("/balloon", "amount_mib").GetInt64());
        var deadline = DateTime.UtcNow + CommandTimeout;
        while (api.Get("/balloon/statistics", "actual_mib").GetInt64() != 32 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(500);
        }

        Assert.Equal(32, api.Get("/balloon/statistics", "actual_mib").GetInt64());
        api.Expect(400, "PATCH", "/balloon", "{\"amount_mib\":256}");

        api.Expect(204, "PUT", "/actions", "{\"action\":\"stop\"}");
        Assert.Equal(0, vmm.WaitForExit(CommandTimeout));
        Assert.False(File.Exists(socket), "the API socket was left behind");
        var head = new byte[8];
        using (var file = File.OpenRead(image))
        {
            file.ReadExactly(head);
        }

        Assert.Equal("disk-42\n", Encoding.ASCII.GetString(head));
    }

    [KvmFact]
    public void Run_with_an_api_socket_serves_the_api_and_the_cli_verbs_use_it()
    {
        var socket = Path.Combine(_dir, "run.sock");
        using var vmm = SharpVirtProcess.Start("run", "--api-socket", socket);
        var at = vmm.WaitFor("SHARPVIRT-READY", BootTimeout);
        at = vmm.WaitFor("~ # ", CommandTimeout, at);

        var (code, output) = Cli("vm", "pause", "--socket", socket);
        Assert.Equal(0, code);
        (code, output) = Cli("vm", "info", "--socket", socket);
        Assert.Equal(0, code);
        Assert.Contains("\"state\": \"paused\"", output, StringComparison.Ordinal);
        (code, output) = Cli("vm", "pause", "--socket", socket);
        Assert.Equal(1, code);
        Assert.Contains("cannot pause: the guest is paused (HTTP 409)", output, StringComparison.Ordinal);
        (code, output) = Cli("vm", "power-button", "--socket", socket);
        Assert.Equal(1, code);
        Assert.Contains("cannot press the power button: the guest is paused (HTTP 409)", output, StringComparison.Ordinal);
        Assert.Equal(0, Cli("vm", "resume", "--socket", socket).Code);
        vmm.Type("echo back-$((6*7))");
        vmm.WaitFor("back-42", CommandTimeout, at);
        (code, output) = Cli("vm", "metrics", "--prometheus", "--socket", socket);
        Assert.Equal(0, code);
        Assert.Contains("sharpvirt_up{", output, StringComparison.Ordinal);
        (code, output) = Cli("vm", "info", "--socket", Path.Combine(_dir, "none.sock"));
        Assert.Equal(1, code);
        Assert.Contains("no such socket", output, StringComparison.Ordinal);

        // The ACPI power button: the guest's button driver reports KEY_POWER, and its init powers off cleanly.
        Assert.Equal(0, Cli("vm", "power-button", "--socket", socket).Code);
        Assert.Equal(0, vmm.WaitForExit(CommandTimeout));
        Assert.Contains("reboot: Power down", vmm.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(socket));
    }

    private static (int Code, string Output) Cli(params string[] arguments)
    {
        using var cli = SharpVirtProcess.Start(arguments);
        var code = cli.WaitForExit(TimeSpan.FromSeconds(30));
        return (code, cli.Output);
    }

    [GeneratedRegex(@"started-(\d+)")]
    private static partial Regex StartedPattern();

    [GeneratedRegex(@"paused-42-(\d+)")]
    private static partial Regex PausedPattern();

    [GeneratedRegex(@"later-(\d+)")]
    private static partial Regex LaterPattern();

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
