using System.Runtime.InteropServices;

namespace SharpVirt.Interop.Net;

/// <summary>The &lt;linux/if_tun.h&gt; and &lt;linux/if.h&gt; values a tap needs (checked against the headers by a test).</summary>
public static class TunAbi
{
    /// <summary>TUNSETIFF: _IOW('T', 202, int).</summary>
    public const uint TUNSETIFF = 0x400454ca;
    /// <summary>TUNSETOFFLOAD: _IOW('T', 208, unsigned int).</summary>
    public const uint TUNSETOFFLOAD = 0x400454d0;
    /// <summary>TUNSETVNETHDRSZ: _IOW('T', 216, int).</summary>
    public const uint TUNSETVNETHDRSZ = 0x400454d8;
    /// <summary>SIOCGIFFLAGS.</summary>
    public const uint SIOCGIFFLAGS = 0x8913;
    /// <summary>SIOCSIFFLAGS.</summary>
    public const uint SIOCSIFFLAGS = 0x8914;

    /// <summary>IFF_TAP: an Ethernet (layer 2) device.</summary>
    public const short IFF_TAP = 0x0002;
    /// <summary>IFF_NO_PI: no packet information prefix.</summary>
    public const short IFF_NO_PI = 0x1000;
    /// <summary>IFF_VNET_HDR: each frame carries a virtio_net_hdr.</summary>
    public const short IFF_VNET_HDR = 0x4000;
    /// <summary>TUNSETQUEUE: _IOW('T', 217, int), attaches or detaches this descriptor's queue of a multi-queue tap.</summary>
    public const uint TUNSETQUEUE = 0x400454d9;
    /// <summary>IFF_MULTI_QUEUE: the tap may have several queues (descriptors), each attachable and detachable.</summary>
    public const short IFF_MULTI_QUEUE = 0x0100;
    /// <summary>IFF_ATTACH_QUEUE (TUNSETQUEUE): this descriptor's queue takes frames again.</summary>
    public const short IFF_ATTACH_QUEUE = 0x0200;
    /// <summary>IFF_DETACH_QUEUE (TUNSETQUEUE): this descriptor's queue takes no frames, though it stays open.</summary>
    public const short IFF_DETACH_QUEUE = 0x0400;
    /// <summary>IFF_UP: the interface is up.</summary>
    public const short IFF_UP = 0x1;

    /// <summary>TUN_F_CSUM: userspace takes frames with a partial checksum.</summary>
    public const uint TUN_F_CSUM = 0x01;
    /// <summary>TUN_F_TSO4: userspace takes TCPv4 segmentation offload frames.</summary>
    public const uint TUN_F_TSO4 = 0x02;
    /// <summary>TUN_F_TSO6: userspace takes TCPv6 segmentation offload frames.</summary>
    public const uint TUN_F_TSO6 = 0x04;
    /// <summary>TUN_F_TSO_ECN: ... with the ECN bit.</summary>
    public const uint TUN_F_TSO_ECN = 0x08;
    /// <summary>TUN_F_UFO: userspace takes UDP fragmentation offload frames.</summary>
    public const uint TUN_F_UFO = 0x10;

    /// <summary>IFNAMSIZ: interface names hold at most 15 bytes and a NUL.</summary>
    public const int IFNAMSIZ = 16;
}

/// <summary>struct ifreq as the tap ioctls use it: the name and, in the union, the flags (40 bytes in all).</summary>
[StructLayout(LayoutKind.Sequential, Size = 40)]
public unsafe struct IfReq
{
    /// <summary>ifr_name.</summary>
    public fixed byte Name[TunAbi.IFNAMSIZ];
    /// <summary>ifr_flags.</summary>
    public short Flags;
}
