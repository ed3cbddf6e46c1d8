using System.Text;

namespace SharpVirt.Vmm.Tests;

public sealed class PanicDetectingStreamTests
{
    private readonly MemoryStream _console = new();
    private readonly VmExitSignal _exit = new();
    private readonly PanicDetectingStream _stream;

    public PanicDetectingStreamTests() => _stream = new PanicDetectingStream(_console, _exit);

    private void Write(string text) => _stream.Write(Encoding.ASCII.GetBytes(text));

    private string Console => Encoding.ASCII.GetString(_console.ToArray());

    [Fact]
    public void Writes_pass_through_unchanged()
    {
        Write("Linux version 6.1\r\n");
        _stream.Write("abc"u8.ToArray(), 1, 2);
        Assert.Equal("Linux version 6.1\r\nbc", Console);
        Assert.False(_exit.IsSet);
    }

    [Fact]
    public async Task A_panic_banner_split_across_writes_ends_the_VM_with_the_panic_line()
    {
        Write("[    1.234] Kernel pa");
        Write("nic - not sync");
        Write("ing: VFS: Unable to mount root fs on unknown-block(0,0)\r\n[    1.235] CPU: 0 PID: 1\r\n");

        Assert.True(_exit.IsSet);
        var outcome = await _exit.Outcome;
        Assert.Equal(VmOutcomeKind.Panic, outcome.Kind);
        Assert.Equal("the guest kernel panicked: Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)", outcome.Message);
        Assert.Equal(3, outcome.ExitCode);
        Assert.EndsWith("CPU: 0 PID: 1\r\n", Console); // output after the panic still reaches the console
    }

    [Fact]
    public async Task A_banner_written_one_byte_at_a_time_is_detected()
    {
        foreach (var b in "Kernel panic - not syncing: Attempted to kill init!\n"u8.ToArray())
        {
            _stream.WriteByte(b);
        }

        Assert.Contains("Attempted to kill init!", (await _exit.Outcome).Message);
    }

    [Fact]
    public void The_outcome_waits_for_the_end_of_the_panic_line()
    {
        Write("Kernel panic - not syncing: Fatal exception");
        Assert.False(_exit.IsSet);
        Write("\n");
        Assert.True(_exit.IsSet);
    }

    [Fact]
    public async Task A_panic_line_without_a_newline_is_reported_after_200_characters()
    {
        Write("Kernel panic - not syncing: " + new string('x', 300));
        Assert.True(_exit.IsSet);
        Assert.InRange((await _exit.Outcome).Message.Length, 200, 260);
    }

    [Fact]
    public void A_false_start_just_before_the_banner_does_not_hide_it()
    {
        Write("KKernel Kernel panic - not syncing: x\n");
        Assert.True(_exit.IsSet);
    }

    [Theory]
    [InlineData("Kernel panic is what this line talks about\n")]
    [InlineData("kernel panic - not syncing: lower case\n")]
    [InlineData("Kernel panic - not syncin\n")]
    [InlineData("Kernel  panic - not syncing\n")]
    public void Text_without_the_exact_banner_does_not_end_the_VM(string text)
    {
        Write(text);
        Assert.False(_exit.IsSet);
        Assert.Equal(text, Console);
    }

    [Fact]
    public async Task An_earlier_outcome_is_not_replaced_by_a_later_panic()
    {
        _exit.Set(new VmOutcome(VmOutcomeKind.PowerOff, "ACPI S5"));
        Write("Kernel panic - not syncing: late\n");
        Assert.Equal(VmOutcomeKind.PowerOff, (await _exit.Outcome).Kind);
    }

    [Fact]
    public void It_is_write_only()
    {
        Assert.True(_stream.CanWrite);
        Assert.False(_stream.CanRead);
        Assert.False(_stream.CanSeek);
        Assert.Throws<NotSupportedException>(() => _stream.Read(new byte[1], 0, 1));
    }
}
