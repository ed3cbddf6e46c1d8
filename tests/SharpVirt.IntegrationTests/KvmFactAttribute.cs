namespace SharpVirt.IntegrationTests;

/// <summary>
/// A test that needs /dev/kvm. Where it is missing the test is skipped with the reason, except in CI
/// (CI=true), where it runs and fails loudly: CI machines have KVM, so its absence is a failure there.
/// </summary>
public sealed class KvmFactAttribute : FactAttribute
{
    public KvmFactAttribute()
    {
        if (!File.Exists("/dev/kvm") && Environment.GetEnvironmentVariable("CI") != "true")
        {
            Skip = "/dev/kvm is not available on this machine";
        }
    }
}

/// <summary>The <see cref="KvmFactAttribute"/> rule for theories.</summary>
public sealed class KvmTheoryAttribute : TheoryAttribute
{
    public KvmTheoryAttribute()
    {
        if (!File.Exists("/dev/kvm") && Environment.GetEnvironmentVariable("CI") != "true")
        {
            Skip = "/dev/kvm is not available on this machine";
        }
    }
}
