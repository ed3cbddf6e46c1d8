using SharpVirt.Contracts.Api;

namespace SharpVirt.Api.Tests;

public sealed class PrometheusTextTests
{
    [Fact]
    public void Each_counter_family_is_typed_once_with_every_device_as_a_label()
    {
        var report = new MetricsReport
        {
            State = VmState.Paused,
            Vmm = new Dictionary<string, long> { ["vcpus"] = 2, ["emulated_int3"] = 7 },
            Devices = new Dictionary<string, DeviceMetrics>
            {
                ["vdb"] = new() { Kind = "block", Counters = new Dictionary<string, long> { ["read_count"] = 5 } },
                ["vda"] = new() { Kind = "block", Counters = new Dictionary<string, long> { ["read_count"] = 3, ["write-bytes"] = 9 } },
            },
        };

        var lines = PrometheusText.Format("vm\"1", report).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Contains("sharpvirt_up{instance_id=\"vm\\\"1\",state=\"paused\"} 1", lines);
        Assert.Contains("# TYPE sharpvirt_vmm_vcpus gauge", lines);
        Assert.Contains("# TYPE sharpvirt_vmm_emulated_int3 counter", lines);
        var read = Array.IndexOf(lines, "# TYPE sharpvirt_block_read_count counter");
        Assert.True(read >= 0);
        Assert.Equal("sharpvirt_block_read_count{instance_id=\"vm\\\"1\",device=\"vda\"} 3", lines[read + 1]);
        Assert.Equal("sharpvirt_block_read_count{instance_id=\"vm\\\"1\",device=\"vdb\"} 5", lines[read + 2]);
        Assert.Contains("sharpvirt_block_write_bytes{instance_id=\"vm\\\"1\",device=\"vda\"} 9", lines);
        Assert.Single(lines, l => l == "# TYPE sharpvirt_block_read_count counter");
    }
}
