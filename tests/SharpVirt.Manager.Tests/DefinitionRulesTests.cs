using SharpVirt.Contracts;
using SharpVirt.Manager;

namespace SharpVirt.Manager.Tests;

/// <summary>Names and configs a definition must have before it is stored.</summary>
public sealed class DefinitionRulesTests
{
    private static void Accept(Contracts.VmConfig config)
    {
    }

    [Theory]
    [InlineData("web1")]
    [InlineData("0db.prod_eu-1")]
    [InlineData("a")]
    public void Good_names_are_accepted(string name) =>
        DefinitionRules.Check(StoreTests.Definition(name), Accept);

    [Theory]
    [InlineData("", "empty")]
    [InlineData("Web1", "must start with a lower-case letter or a digit")]
    [InlineData("-web", "must start with a lower-case letter or a digit")]
    [InlineData("web/1", "holds '/'")]
    [InlineData("web 1", "holds ' '")]
    [InlineData("../etc", "must start")]
    public void Bad_names_are_refused_with_the_reason(string name, string reason)
    {
        var e = Assert.Throws<ManagerException>(() => DefinitionRules.Check(StoreTests.Definition(name), Accept));
        Assert.Equal(ManagerErrorKind.BadRequest, e.Kind);
        Assert.Equal("name", e.Field);
        Assert.Contains(reason, e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_name_longer_than_a_dns_label_is_refused() =>
        Assert.Equal("name", Assert.Throws<ManagerException>(() =>
            DefinitionRules.Check(StoreTests.Definition(new string('a', DefinitionRules.MaxNameLength + 1)), Accept)).Field);

    [Fact]
    public void The_vmms_config_error_is_named_under_config()
    {
        var e = Assert.Throws<ManagerException>(() => DefinitionRules.Check(StoreTests.Definition("web1"),
            _ => throw new ConfigException("machine-config.vcpu_count", "0: use 1 to 32")));
        Assert.Equal("config.machine-config.vcpu_count", e.Field);
        Assert.Equal("0: use 1 to 32", e.Reason);
    }
}
