namespace SharpVirt.Interop.Tests;

public sealed class ErrnoTests
{
    [Fact]
    public void A_failed_open_throws_with_ENOENT_and_the_operation_name()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sharpvirt-missing-{Guid.NewGuid():N}", "nothing");
        var rc = LibC.open(path, LibC.O_RDONLY | LibC.O_CLOEXEC, 0);

        var e = Assert.Throws<SystemCallException>(() => Errno.Check(rc, $"open({path})"));
        Assert.Equal(-1, rc);
        Assert.Equal(Errno.ENOENT, e.Errno);
        Assert.Equal($"open({path})", e.Operation);
        Assert.StartsWith($"open({path}) failed: ENOENT", e.Message);
        Assert.Contains("No such file or directory", e.Message);
    }

    [Fact]
    public void A_successful_result_is_returned_unchanged()
    {
        Assert.Equal(0, Errno.Check(0, "zero"));
        Assert.Equal(7, Errno.Check(7, "seven"));
        Assert.Equal(5_000_000_000L, Errno.Check(5_000_000_000L, "large"));
    }

    [Fact]
    public void A_negative_long_result_throws_too()
    {
        _ = LibC.open("/nonexistent-sharpvirt-dir/x", LibC.O_RDONLY, 0);
        var e = Assert.Throws<SystemCallException>(() => Errno.Check(-1L, "read"));
        Assert.Equal(Errno.ENOENT, e.Errno);
        Assert.Equal("read", e.Operation);
    }

    [Fact]
    public void CheckKvm_throws_a_KvmException_that_is_also_a_SystemCallException()
    {
        _ = LibC.open("/nonexistent-sharpvirt-dir/x", LibC.O_RDONLY, 0);
        var e = Assert.Throws<KvmException>(() => Errno.CheckKvm(-1, "KVM_CREATE_VCPU"));
        Assert.IsAssignableFrom<SystemCallException>(e);
        Assert.Equal(Errno.ENOENT, e.Errno);
        Assert.Contains("KVM_CREATE_VCPU", e.Message);
        Assert.Equal(5, Errno.CheckKvm(5, "KVM_CREATE_VCPU"));
    }

    [Theory]
    [InlineData(Errno.EINVAL, "EINVAL (Invalid argument)")]
    [InlineData(Errno.ENOENT, "ENOENT (No such file or directory)")]
    [InlineData(Errno.EAGAIN, "EAGAIN (Resource temporarily unavailable)")]
    [InlineData(Errno.E2BIG, "E2BIG (Argument list too long)")]
    [InlineData(Errno.ENOTTY, "ENOTTY (Inappropriate ioctl for device)")]
    public void Describe_gives_the_symbolic_name_and_the_C_library_text(int errno, string expected) =>
        Assert.Equal(expected, Errno.Describe(errno));

    [Fact]
    public void An_errno_without_a_symbolic_name_is_described_by_number()
    {
        Assert.Equal("errno 9", Errno.Name(9));
        Assert.StartsWith("errno 9 (", Errno.Describe(9));
    }

    [Fact]
    public void A_caller_supplied_message_is_kept_with_the_errno()
    {
        var e = new SystemCallException("mmap", Errno.ENOMEM, "cannot map guest memory");
        Assert.Equal("cannot map guest memory", e.Message);
        Assert.Equal(Errno.ENOMEM, e.Errno);
        Assert.Equal("mmap", e.Operation);
    }
}
