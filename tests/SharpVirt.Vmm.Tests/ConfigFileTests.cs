using SharpVirt.Contracts;

namespace SharpVirt.Vmm.Tests;

public sealed class ConfigFileTests
{
    [Fact]
    public void Omitted_machine_fields_keep_their_defaults()
    {
        var config = ConfigFile.Parse("""{ "boot-source": { "kernel_image_path": "k" }, "machine-config": { "vcpu_count": 2 } }""", "vm.json");
        Assert.Equal(2, config.Machine.VcpuCount);
        Assert.Equal(256, config.Machine.MemSizeMib);
        Assert.Equal("compat", config.Machine.CpuTemplate);
        Assert.Equal(RebootAction.Restart, config.Machine.OnReboot);
    }

    [Fact]
    public void An_omitted_machine_config_is_the_default_machine()
    {
        var config = ConfigFile.Parse("""{ "boot-source": { "kernel_image_path": "k", "initrd_path": "i", "boot_args": "a" } }""", "vm.json");
        Assert.Equal(1, config.Machine.VcpuCount);
        Assert.Equal("i", config.BootSource.InitrdPath);
        Assert.Equal("a", config.BootSource.BootArgs);
    }

    [Fact]
    public void On_reboot_is_read_by_its_json_name()
    {
        var config = ConfigFile.Parse("""{ "boot-source": { "kernel_image_path": "k" }, "machine-config": { "on_reboot": "exit" } }""", "vm.json");
        Assert.Equal(RebootAction.Exit, config.Machine.OnReboot);
    }

    [Theory]
    [InlineData("""{ "boot-source": { "kernel_image_path": "k" }, "extra": 1 }""", "vm.json: $.extra", "unknown field")]
    [InlineData("""{ "boot-source": { "kernel_image_path": "k" }, "machine-config": { "vcpu_count": "two" } }""", "vm.json: $.machine-config.vcpu_count", "")]
    [InlineData("""{ "machine-config": { "vcpu_count": 1 } }""", "vm.json", "missing required field")]
    [InlineData("""{ "boot-source": { "kernel_image_path": "k" }, "machine-config": { "on_reboot": "later" } }""", "vm.json: $.machine-config.on_reboot", "")]
    [InlineData("""{ "boot-source": """, "vm.json", "")]
    [InlineData("null", "vm.json", "null")]
    public void Bad_config_names_the_field(string json, string field, string reason)
    {
        var e = Assert.Throws<ConfigException>(() => ConfigFile.Parse(json, "vm.json"));
        Assert.StartsWith(field, e.Field);
        Assert.Contains(reason, e.Reason);
    }
}
