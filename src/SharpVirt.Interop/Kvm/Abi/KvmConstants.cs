#pragma warning disable CS1591 // Names are the kernel's; <linux/kvm.h> documents them.
namespace SharpVirt.Interop.Kvm.Abi;

/// <summary>KVM_EXIT_* reasons.</summary>
public enum KvmExitReason : uint
{
    Unknown = 0,
    Exception = 1,
    Io = 2,
    Hypercall = 3,
    Debug = 4,
    Hlt = 5,
    Mmio = 6,
    IrqWindowOpen = 7,
    Shutdown = 8,
    FailEntry = 9,
    Intr = 10,
    Nmi = 16,
    InternalError = 17,
    SystemEvent = 24,
}

/// <summary>KVM_CAP_* numbers the VMM queries.</summary>
public enum KvmCap : uint
{
    Irqchip = 0,
    UserMemory = 3,
    SetTssAddr = 4,
    ExtCpuid = 7,
    NrVcpus = 9,
    Pit2 = 33,
    IrqfdResample = 82,
    Ioeventfd = 36,
    Irqfd = 32,
    SetIdentityMapAddr = 37,
    MaxVcpus = 66,
    ImmediateExit = 136,
}

/// <summary>Constants of the KVM ABI.</summary>
public static class KvmConst
{
    public const int ApiVersion = 12;
    public const byte IoIn = 0;
    public const byte IoOut = 1;
    public const uint InternalErrorEmulation = 1;
    public const uint InternalErrorSimulEx = 2;
    public const uint InternalErrorDeliveryEv = 3;
    public const uint SystemEventShutdown = 1;
    public const uint SystemEventReset = 2;
    public const uint SystemEventCrash = 3;
    public const uint PitSpeakerDummy = 1;
    public const uint VcpuEventsValidNmiPending = 1;
    public const uint CpuidFlagSignificantIndex = 1;
    public const uint IoeventfdFlagDatamatch = 1;
    public const uint IoeventfdFlagPio = 2;
    public const uint MemLogDirtyPages = 1;
}
