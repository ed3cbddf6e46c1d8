namespace SharpVirt.Interop.Tests;

public sealed class FileDescriptorTests : IDisposable
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"sharpvirt-fd-{Guid.NewGuid():N}");

    public FileDescriptorTests() => File.WriteAllText(_file, "x");

    public void Dispose() => File.Delete(_file);

    // Other tests run in parallel and may reuse a freed descriptor number, so "closed" means
    // "no longer refers to our (uniquely named) file", not "the number is unused".
    private static string? Target(int fd)
    {
        try
        {
            return new FileInfo($"/proc/self/fd/{fd}").LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private FileDescriptor Open(bool ownsHandle = true)
    {
        var fd = Errno.Check(LibC.open(_file, LibC.O_RDONLY | LibC.O_CLOEXEC, 0), $"open({_file})");
        return new FileDescriptor(fd, ownsHandle);
    }

    [Fact]
    public void Disposing_closes_the_descriptor()
    {
        var fd = Open();
        var number = fd.Number;
        Assert.False(fd.IsInvalid);
        Assert.Equal(_file, Target(number));

        fd.Dispose();

        Assert.NotEqual(_file, Target(number));
        Assert.True(fd.IsClosed);
    }

    [Fact]
    public void Disposing_twice_closes_once_and_does_not_throw()
    {
        var fd = Open();
        var number = fd.Number;
        fd.Dispose();
        fd.Dispose();
        Assert.NotEqual(_file, Target(number));
    }

    [Fact]
    public void A_descriptor_it_does_not_own_stays_open()
    {
        var fd = Open(ownsHandle: false);
        var number = fd.Number;
        fd.Dispose();
        try
        {
            Assert.Equal(_file, Target(number));
        }
        finally
        {
            Assert.Equal(0, LibC.close(number));
        }
    }

    [Fact]
    public void A_negative_number_is_invalid_and_the_default_is_invalid()
    {
        using var negative = new FileDescriptor(-1);
        using var empty = new FileDescriptor();
        Assert.True(negative.IsInvalid);
        Assert.True(empty.IsInvalid);
        Assert.Equal(-1, negative.Number);
    }
}
