using System.Text;
using SharpVirt.Vmm;
using SharpVirt.Vmm.Cpu;
using SharpVirt.Vmm.Emulation;

namespace SharpVirt.IntegrationTests;

/// <summary>Boots a guest in this process on real KVM and collects its console output and outcome.</summary>
public sealed class GuestRun
{
    private GuestRun(VmOutcome outcome, string console, Vm vm)
    {
        Outcome = outcome;
        Console = console;
        Int3Completed = vm.Assist.Completed(X86InstructionKind.Int3);
        CmpXchg16bCompleted = vm.Assist.Completed(X86InstructionKind.CmpXchg16b);
        UnhandledPio = vm.PioBus.UnhandledAccesses;
        Counts = Enum.GetValues<X86InstructionKind>().Select(k => $"{k}={vm.Assist.Completed(k)}").ToArray();
    }

    public VmOutcome Outcome { get; }
    public string Console { get; }
    public long Int3Completed { get; }
    public long CmpXchg16bCompleted { get; }
    public long UnhandledPio { get; }
    public string[] Counts { get; }

    /// <summary>Runs test guest <paramref name="name"/> until it stops (or the timeout, which fails the test).</summary>
    public static GuestRun Boot(string name, int vcpus = 1, ulong memoryMib = 64, int timeoutSeconds = 30)
    {
        var spec = new VmSpec
        {
            Kernel = TestGuests.Get(name),
            KernelName = name + ".elf",
            Cmdline = "",
            VcpuCount = vcpus,
            MemoryBytes = memoryMib << 20,
            CpuTemplate = CpuTemplate.Compat,
        };
        var output = new SynchronizedMemoryStream();
        using var vm = VmBuilder.Build(spec, new ConsoleBackend(output));
        var run = vm.RunAsync();
        if (!run.Wait(TimeSpan.FromSeconds(timeoutSeconds)))
        {
            vm.Exit.Set(new VmOutcome(VmOutcomeKind.UserQuit, "test timeout"));
            run.Wait();
            Assert.Fail($"guest {name} did not stop within {timeoutSeconds} s; console:\n{output.Text}");
        }

        return new GuestRun(run.Result, output.Text, vm);
    }

    /// <summary>A console sink the vCPU thread writes while the test reads.</summary>
    private sealed class SynchronizedMemoryStream : MemoryStream
    {
        private readonly Lock _gate = new();

        public string Text
        {
            get
            {
                lock (_gate)
                {
                    return Encoding.ASCII.GetString(ToArray());
                }
            }
        }

        public override void Write(ReadOnlySpan<byte> buffer) => Write(buffer.ToArray(), 0, buffer.Length);

        public override void Write(byte[] buffer, int offset, int count)
        {
            lock (_gate)
            {
                base.Write(buffer, offset, count);
            }
        }
    }
}
