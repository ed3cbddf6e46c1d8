using System.Runtime.InteropServices;

namespace SharpVirt.Interop;

/// <summary>
/// A few bytes of x86_64 machine code the VMM needs where .NET has no primitive: a no-op signal handler
/// (so a signal interrupts KVM_RUN without running managed code on a vCPU thread) and a 16-byte atomic
/// compare-and-exchange on guest memory. Mapped once, read-only and executable.
/// </summary>
public static unsafe class NativeCode
{
    // ret
    private static readonly byte[] NoOpHandler = [0xc3];

    // int cas16(void* target, ulong* expected /* in: expected, out: old value */, ulong* desired)
    private static readonly byte[] CompareExchange16 =
    [
        0x53,                         // push rbx
        0x49, 0x89, 0xd0,             // mov r8, rdx
        0x48, 0x8b, 0x06,             // mov rax, [rsi]
        0x48, 0x8b, 0x56, 0x08,       // mov rdx, [rsi+8]
        0x49, 0x8b, 0x18,             // mov rbx, [r8]
        0x49, 0x8b, 0x48, 0x08,       // mov rcx, [r8+8]
        0xf0, 0x48, 0x0f, 0xc7, 0x0f, // lock cmpxchg16b [rdi]
        0x48, 0x89, 0x06,             // mov [rsi], rax
        0x48, 0x89, 0x56, 0x08,       // mov [rsi+8], rdx
        0x0f, 0x94, 0xc0,             // setz al
        0x0f, 0xb6, 0xc0,             // movzx eax, al
        0x5b,                         // pop rbx
        0xc3,                         // ret
    ];

    private static readonly Lazy<nint> Page = new(MapCode);

    /// <summary>Address of a signal handler that returns at once.</summary>
    public static nint NoOpSignalHandler => Page.Value;

    /// <summary>
    /// Atomically compares the 16 bytes at <paramref name="target"/> with <paramref name="expected"/> and, if equal,
    /// stores <paramref name="desired"/>. Returns whether it stored; <paramref name="expected"/> receives the old value.
    /// SAFETY: <paramref name="target"/> must be 16-byte aligned and point at 16 writable bytes.
    /// </summary>
    public static bool CompareExchange128(nint target, Span<ulong> expected, ReadOnlySpan<ulong> desired)
    {
        if (target % 16 != 0 || expected.Length != 2 || desired.Length != 2)
        {
            throw new ArgumentException("cmpxchg16b needs a 16-byte aligned target and two-word operands");
        }

        var fn = (delegate* unmanaged<nint, ulong*, ulong*, int>)(Page.Value + 16);
        fixed (ulong* e = expected)
        fixed (ulong* d = desired)
        {
            return fn(target, e, d) != 0;
        }
    }

    private static nint MapCode()
    {
        var page = LibC.mmap(0, 4096, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS, -1, 0);
        if (page == LibC.MapFailed)
        {
            throw new SystemCallException("mmap(code page)", Errno.Last);
        }

        NoOpHandler.CopyTo(new Span<byte>((void*)page, 16));
        CompareExchange16.CopyTo(new Span<byte>((void*)(page + 16), CompareExchange16.Length));
        Errno.Check(LibC.mprotect(page, 4096, LibC.PROT_READ | LibC.PROT_EXEC), "mprotect(code page)");
        return page;
    }
}

/// <summary>Interrupts a thread blocked in KVM_RUN by sending it a real-time signal with a no-op handler.</summary>
public static unsafe class ThreadKick
{
    private static readonly Lazy<int> Signal = new(Install);

    /// <summary>The signal used (SIGRTMIN + 6, clear of the runtime's own).</summary>
    public static int SignalNumber => Signal.Value;

    /// <summary>The calling thread's pthread id, to kick it later.</summary>
    public static nuint CurrentThread() => LibC.pthread_self();

    /// <summary>Sends the kick signal to <paramref name="thread"/>.</summary>
    public static void Kick(nuint thread)
    {
        var rc = LibC.pthread_kill(thread, Signal.Value);
        if (rc != 0 && rc != 3 /* ESRCH: the thread already ended */)
        {
            throw new SystemCallException("pthread_kill", rc);
        }
    }

    /// <summary>Installs the handler once per process (idempotent through the Lazy).</summary>
    public static void EnsureInstalled() => _ = Signal.Value;

    private static int Install()
    {
        var signal = LibC.SigRtMin() + 6;
        var action = new SigAction { Handler = NativeCode.NoOpSignalHandler };
        Errno.Check(LibC.sigaction(signal, &action, null), "sigaction");
        return signal;
    }
}
