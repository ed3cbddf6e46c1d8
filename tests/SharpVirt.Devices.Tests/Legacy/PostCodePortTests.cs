using SharpVirt.Devices.Legacy;

namespace SharpVirt.Devices.Tests.Legacy;

public sealed class PostCodePortTests
{
    [Fact]
    public void Records_the_last_code_and_reports_each_one()
    {
        var codes = new List<byte>();
        var port = new PostCodePort(codes.Add);
        Assert.Equal(0, port.LastCode);
        port.Out(0, 0x10);
        port.Out(0, 0xaf);
        Assert.Equal(0xaf, port.LastCode);
        Assert.Equal(0xaf, port.In(0));
        Assert.Equal(new byte[] { 0x10, 0xaf }, codes);
    }

    [Fact]
    public void Works_without_a_callback()
    {
        var port = new PostCodePort();
        port.Out(0, 0x42);
        Assert.Equal(0x42, port.LastCode);
    }

    [Fact]
    public void Hostile_offsets_and_lengths_do_not_throw()
    {
        var codes = new List<byte>();
        var port = new PostCodePort(codes.Add);
        port.Write(1, [1]);
        port.Write(ulong.MaxValue, [2]);
        port.Write(0, []);
        port.Write(0, [3, 4, 5, 6]); // only the byte at offset 0 is the port's
        Assert.Equal(new byte[] { 3 }, codes);

        var data = new byte[4];
        port.Read(0, data);
        Assert.Equal(new byte[] { 3, 0xff, 0xff, 0xff }, data);
        port.Read(ulong.MaxValue, data);
        port.Read(0, []);
    }
}
