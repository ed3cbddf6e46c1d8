namespace SharpVirt.Boot.Tests.Loaders;

public sealed class KernelCmdlineTests
{
    [Fact]
    public void The_encoding_is_the_ASCII_text_followed_by_one_NUL()
    {
        var bytes = KernelCmdline.Encode("console=ttyS0 root=/dev/vda");
        Assert.Equal("console=ttyS0 root=/dev/vda\0"u8.ToArray(), bytes);
    }

    [Fact]
    public void An_empty_command_line_is_a_single_NUL()
    {
        Assert.Equal(new byte[] { 0 }, KernelCmdline.Encode(""));
    }

    [Fact]
    public void The_default_command_line_uses_the_serial_console()
    {
        Assert.Contains("console=ttyS0", KernelCmdline.Default);
        Assert.Equal(KernelCmdline.Default.Length + 1, KernelCmdline.Encode(KernelCmdline.Default).Length);
    }

    [Theory]
    [InlineData("console=ttyS0\n", 0x0a)]
    [InlineData("a\tb", 0x09)]
    [InlineData("nul\0inside", 0x00)]
    [InlineData("del\u007f", 0x7f)]
    [InlineData("caf\u00e9", 0xe9)]
    public void Control_and_non_ASCII_characters_are_refused(string cmdline, int code)
    {
        var e = Assert.Throws<BootException>(() => KernelCmdline.Encode(cmdline));
        Assert.Equal(BootErrorKind.Malformed, e.Kind);
        Assert.Contains($"0x{code:x2}", e.Message);
    }

    [Fact]
    public void A_command_line_that_fills_the_limit_with_its_NUL_is_accepted_and_one_more_byte_is_refused()
    {
        Assert.Equal(256, KernelCmdline.Encode(new string('a', 255), maxSize: 256).Length);
        var e = Assert.Throws<BootException>(() => KernelCmdline.Encode(new string('a', 256), maxSize: 256));
        Assert.Equal(BootErrorKind.DoesNotFit, e.Kind);
    }

    [Fact]
    public void The_default_limit_is_the_space_reserved_at_the_command_line_address()
    {
        Assert.Equal(X64Layout.CmdlineMaxSize, KernelCmdline.Encode(new string('x', X64Layout.CmdlineMaxSize - 1)).Length);
        Assert.Throws<BootException>(() => KernelCmdline.Encode(new string('x', X64Layout.CmdlineMaxSize)));
    }
}
