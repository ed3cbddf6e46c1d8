/* bench/devpath's guest: a bare-metal virtio-blk driver that times 4 KiB reads, with no guest kernel.

   On kvm_pvm hosts ring-0 guest code is emulated (~1 us per instruction) while ring 3 runs natively, so ring 0 only
   sets the machine up (page tables, GDT/TSS, IDT) and drops to ring 3 with IOPL=3 and interrupts off; the driver and
   its timed loops run in ring 3, and only its few output lines go back to ring 0 (see ud_entry for why). Two entry
   points, as bench/boot/tiny-guest.S: the ELF entry (64-bit, SharpVirt) and the PVH note's 32-bit entry (QEMU). Both
   end up on our own tables, so the guest sees the same machine whichever VMM loaded it.

   Output on COM1, one line each, for the runner (bench_devpath.py) to timestamp and parse:
     DEVPATH device <base> ...            the device it drives
     DEVPATH qd1 begin / DEVPATH qd1 end <n> ok / DEVPATH qd1 tsc <cycles> / DEVPATH qd1 notifies <count>
     DEVPATH qd32 begin / ... end / tsc / notifies
     DEVPATH done
     DEVPATH error <reason>               on any failure (then it powers off)

   Build: gcc -nostdlib -static -no-pie -Wl,-Ttext=0x100000 -Wl,--build-id=none [-DNREQ=n] -o blk-guest.elf blk-guest.S */

#ifndef NREQ
#define NREQ 20000              /* requests per timed loop */
#endif
#define QSIZE 128               /* ring entries: 32 chains of 3 descriptors need 96 */
#define QD 32                   /* chains in flight in the second loop */

    .set COM1, 0x3f8
    .set KCODE, 0x08
    .set KDATA, 0x10
    .set UDATA, 0x18 | 3
    .set UCODE, 0x20 | 3
    .set TSSSEL, 0x28

    /* virtio-mmio v2 registers (virtio 1.2, 4.2.2) */
    .set MAGIC, 0x000
    .set VERSION, 0x004
    .set DEVICEID, 0x008
    .set DEVFEAT, 0x010
    .set DEVFEATSEL, 0x014
    .set DRVFEAT, 0x020
    .set DRVFEATSEL, 0x024
    .set QSEL, 0x030
    .set QNUMMAX, 0x034
    .set QNUM, 0x038
    .set QREADY, 0x044
    .set QNOTIFY, 0x050
    .set STATUS, 0x070
    .set QDESCLO, 0x080
    .set QDESCHI, 0x084
    .set QDRVLO, 0x090
    .set QDRVHI, 0x094
    .set QDEVLO, 0x0a0
    .set QDEVHI, 0x0a4
    .set CONFIG, 0x100

    .globl _start

    .section .note.Xen, "a", @note
    .align 4
    .long 4, 4, 18              /* namesz, descsz, XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .long pvh_start

/* Prints a literal string; clobbers rax, rdx, rsi. */
.macro PRINT str
    .pushsection .rodata
.Ls\@: .asciz "\str"
    .popsection
    lea .Ls\@(%rip), %rsi
    call puts
.endm

/* Prints "DEVPATH error <why>" and powers off. */
.macro FAIL why
    PRINT "DEVPATH error \why\n"
    jmp poweroff
.endm

    .text
    .code32
pvh_start:
    /* Paging is off here: the static tables below are enough to get into long mode. */
    cli
    lgdt gdtr                   /* the low 6 bytes of gdtr are the 32-bit form */
    mov %cr4, %eax
    or $0x20, %eax              /* PAE */
    mov %eax, %cr4
    mov $pml4, %eax
    mov %eax, %cr3
    mov $0xc0000080, %ecx
    rdmsr
    or $0x100, %eax             /* EFER.LME */
    wrmsr
    mov %cr0, %eax
    or $0x80000001, %eax        /* PG | PE */
    mov %eax, %cr0
    ljmp $KCODE, $start64

    .code64
_start:
start64:
    /* Every instruction from here to the iretq is emulated on kvm_pvm: keep it short, no loops over memory. */
    cli
    lgdt gdtr
    mov $KDATA, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    xor %eax, %eax
    mov %eax, %fs
    mov %eax, %gs
    mov $kstack_top, %esp
    pushq $KCODE
    pushq $1f
    lretq
1:  mov $pml4, %eax
    mov %rax, %cr3              /* whatever tables the VMM built need not set U/S: use ours */
    mov %cr4, %rax
    and $~0x300004, %rax        /* no SMEP/SMAP (the fault handlers live on user pages), no TSD */
    mov %rax, %cr4

    /* 64-bit TSS descriptor: limit 103, type 0x89; the base is split over the descriptor's fields. */
    mov $tss, %eax
    mov %rax, %rdx
    shl $16, %rdx
    movabs $0xffffff0000, %rcx
    and %rcx, %rdx              /* base[23:0] -> bits 16..39 */
    mov %rax, %rcx
    shr $24, %rcx
    shl $56, %rcx
    or %rcx, %rdx               /* base[31:24] -> bits 56..63 */
    movabs $((0x89 << 40) | 103), %rcx
    or %rcx, %rdx
    mov %rdx, gdt_tss
    movq $kstack_top, tss + 4   /* RSP0: faults in ring 3 land on the kernel stack */
    movw $104, tss + 102        /* I/O bitmap offset past the limit: none (IOPL=3 was to do the job) */
    mov $TSSSEL, %eax
    ltr %ax

    /* IDT: 32 exception gates, one stub each (16 bytes apart), all to fault_common but #UD (see ud_entry). */
    mov $idt, %edi
    mov $fault_stubs, %esi
    mov $32, %ecx
2:  mov %esi, %eax
    and $0xffff, %eax
    or $(KCODE << 16), %eax
    mov %rsi, %rdx
    shr $16, %rdx
    shl $48, %rdx
    or %rdx, %rax
    movabs $(0x8e << 40), %rdx  /* present, DPL0, 64-bit interrupt gate */
    or %rdx, %rax
    mov %rax, (%rdi)            /* offset[63:32] stays 0 (the second quadword is in .bss) */
    add $16, %edi
    add $16, %esi
    loop 2b
    lidt idtr

    /* To ring 3 with IOPL=3 (meant for port I/O, but see ud_entry) and IF=0 (we poll, nothing may interrupt). */
    movb $1, in_ring3
    pushq $UDATA
    pushq $ustack_top
    pushq $0x3002
    pushq $UCODE
    pushq $user_main
    iretq

/* Exception stubs: push a 0 error code where the CPU pushes none, then the vector. */
    .align 16
fault_stubs:
    .set vec, 0
    .rept 32
    .align 16
    .if vec == 6
    jmp ud_entry
    .else
    .if (vec == 8) || (vec >= 10 && vec <= 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
    .else
    pushq $0
    .endif
    pushq $vec
    jmp fault_common
    .endif
    .set vec, vec + 1
    .endr

/* ud2 in ring 3 is this guest's system call: eax = 0 writes the string at rsi to COM1, eax = 1 powers off.
   Why: on kvm_pvm ring 3 cannot reach the ports any other way. The guest's RFLAGS.IOPL=3 is dropped on the way to
   ring 3 (a ring-3 `out` raises #GP, whose frame shows IOPL 0), `int n` raises #UD, and `syscall` enters LSTAR still
   running natively in ring 3 (`mov %cs` reads the host's 0x33 there and `out` raises #GP again). Exceptions, though,
   reach our ring 0 properly. Only the few output lines come here, never a timed loop. */
ud_entry:
    cmpb $0, in_ring3
    je 1f
    mov (%rsp), %rdx            /* the faulting rip */
    cmpw $0x0b0f, (%rdx)        /* ud2 */
    jne 1f
    movb $0, in_ring3
    test %eax, %eax
    jnz poweroff
    addq $2, (%rsp)
    call kputs
    movb $1, in_ring3
    iretq
1:  pushq $0
    pushq $6
    jmp fault_common

fault_common:
    /* Ring 0: [rsp] vector, [rsp+8] error code, [rsp+16] rip, [rsp+24] cs, [rsp+32] rflags. Never returns. */
    movb $0, in_ring3
    PRINT "DEVPATH error fault vector "
    mov (%rsp), %rax
    call putdec
    PRINT " error code 0x"
    mov 8(%rsp), %rax
    call puthex
    PRINT " rip 0x"
    mov 16(%rsp), %rax
    call puthex
    PRINT " cs 0x"
    mov 24(%rsp), %rax
    call puthex
    PRINT " rflags 0x"
    mov 32(%rsp), %rax
    call puthex
    PRINT " cr2 0x"
    mov %cr2, %rax
    call puthex
    PRINT "\n"
    /* fall through */

/* ACPI S5 on SharpVirt's sleep control port, then QEMU's isa-debug-exit; each VMM ignores the other's port. */
poweroff:
    cmpb $0, in_ring3
    je 1f
    mov $1, %eax
    ud2
1:  mov $0x3c0, %dx
    mov $0x34, %al
    out %al, %dx
    mov $0x501, %dx
    xor %al, %al
    out %al, %dx
3:  hlt
    jmp 3b

/* puts(rsi): a NUL-terminated string to COM1, from either ring. Clobbers rax, rdx, rsi. */
puts:
    cmpb $0, in_ring3           /* not CS's RPL: on kvm_pvm `mov %cs` in ring 3 does not read 0x23 */
    je kputs
    xor %eax, %eax
    ud2
    ret

/* kputs(rsi), ring 0 only. No THRE wait: both VMMs take every byte. */
kputs:
    mov $COM1, %dx
1:  lodsb
    test %al, %al
    jz 2f
    out %al, %dx
    jmp 1b
2:  ret

/* puthex(rax): 16 hex digits. Clobbers rax, rcx, rdx, rsi, rdi. */
puthex:
    sub $32, %rsp
    mov %rax, %rdx
    mov %rsp, %rdi
    mov $16, %ecx
    lea hexdigits(%rip), %rsi
1:  rol $4, %rdx
    mov %edx, %eax
    and $15, %eax
    mov (%rsi,%rax), %al
    mov %al, (%rdi)
    inc %rdi
    loop 1b
    movb $0, (%rdi)
    mov %rsp, %rsi
    call puts
    add $32, %rsp
    ret

/* putdec(rax): unsigned decimal. Clobbers rax, rcx, rdx, rsi, rdi. */
putdec:
    sub $32, %rsp
    lea 31(%rsp), %rdi
    movb $0, (%rdi)
    mov $10, %ecx
1:  xor %edx, %edx
    div %rcx
    add $0x30, %dl
    dec %rdi
    mov %dl, (%rdi)
    test %rax, %rax
    jnz 1b
    mov %rdi, %rsi
    call puts
    add $32, %rsp
    ret

/* rdtsc as one 64-bit value in rax. Clobbers rdx. */
tsc:
    rdtsc
    shl $32, %rdx
    or %rdx, %rax
    ret

/* Everything below runs in ring 3.
   Registers held across the driver: rbx = device window, r12 = capacity - 8 (the sector modulus),
   ebp = our copy of avail.idx, r15d = the used.idx we have consumed up to (both free-running 16-bit counters). */
user_main:
    PRINT "DEVPATH guest up (ring 3, mov %cs reads 0x"
    xor %eax, %eax
    mov %cs, %ax
    call puthex
    PRINT ")\n"

    /* The rings and buffers: zero them rather than trust the loader (cheap here, natively). */
    mov $vq_start, %edi
    mov $(vq_end - vq_start) / 8, %ecx
    xor %eax, %eax
    rep stosq

    /* Find a virtio-mmio v2 block device: SharpVirt's windows first, then QEMU microvm's. An empty window reads
       all-ones on SharpVirt and 0 on QEMU; neither faults (both tried without a disk). */
    xor %r14d, %r14d            /* a version-1 (legacy) block device seen */
    mov $0xd0000000, %ebx
    mov $18, %r13d
1:  call probe
    je found
    add $0x1000, %ebx
    dec %r13d
    jnz 1b
    mov $0xfeb00000, %ebx
    mov $24, %r13d
2:  call probe
    je found
    add $0x200, %ebx
    dec %r13d
    jnz 2b
    test %r14d, %r14d
    jz 3f
    FAIL "only a legacy (version 1) virtio-mmio block device"
3:  FAIL "no virtio-blk device"

/* probe(rbx): ZF=1 if rbx is a virtio-mmio v2 block device; notes a legacy one in r14d. */
probe:
    mov MAGIC(%rbx), %eax       /* MMIO is only ever touched with plain 32-bit movs */
    cmp $0x74726976, %eax
    jne 9f
    mov DEVICEID(%rbx), %eax
    cmp $2, %eax
    jne 9f
    mov VERSION(%rbx), %eax
    cmp $1, %eax
    jne 8f
    mov $1, %r14d
8:  cmp $2, %eax
9:  ret

found:
    /* virtio 1.2, 3.1.1: reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK (read back), queue, DRIVER_OK. */
    movl $0, STATUS(%rbx)
    movl $1, STATUS(%rbx)
    movl $3, STATUS(%rbx)
    movl $1, DEVFEATSEL(%rbx)
    mov DEVFEAT(%rbx), %eax
    shl $32, %rax
    movl $0, DEVFEATSEL(%rbx)
    mov DEVFEAT(%rbx), %ecx
    or %rcx, %rax
    mov %rax, features
    bt $32, %rax
    jc 1f
    FAIL "device does not offer VIRTIO_F_VERSION_1"
    /* Only VERSION_1: no EVENT_IDX (so avail.flags/used.flags do the suppression), no INDIRECT_DESC. */
1:  movl $0, DRVFEATSEL(%rbx)
    movl $0, DRVFEAT(%rbx)
    movl $1, DRVFEATSEL(%rbx)
    movl $1, DRVFEAT(%rbx)
    movl $0xb, STATUS(%rbx)
    mov STATUS(%rbx), %eax
    test $8, %eax
    jnz 2f
    FAIL "FEATURES_OK refused"
2:  movl $0, QSEL(%rbx)
    mov QREADY(%rbx), %eax
    test %eax, %eax
    jz 3f
    FAIL "queue 0 already ready after reset"
3:  mov QNUMMAX(%rbx), %eax
    mov %rax, qnummax
    cmp $QSIZE, %eax
    jae 4f
    FAIL "QueueNumMax below 128"
4:  movl $QSIZE, QNUM(%rbx)
    movl $desc, QDESCLO(%rbx)
    movl $0, QDESCHI(%rbx)
    movl $avail, QDRVLO(%rbx)
    movl $0, QDRVHI(%rbx)
    movl $used, QDEVLO(%rbx)
    movl $0, QDEVHI(%rbx)
    movl $1, QREADY(%rbx)
    mov QREADY(%rbx), %eax
    cmp $1, %eax
    je 5f
    FAIL "QueueReady=1 refused"
    /* Capacity: two 32-bit reads (SharpVirt's config space takes 1-, 2- and 4-byte accesses only). */
5:  mov CONFIG + 4(%rbx), %eax
    shl $32, %rax
    mov CONFIG(%rbx), %ecx
    or %rcx, %rax
    mov %rax, capacity
    cmp $16, %rax
    jae 6f
    FAIL "capacity below 16 sectors"
6:  lea -8(%rax), %r12

    /* The device must not interrupt: we poll used.idx with interrupts off. */
    movw $1, avail              /* VIRTQ_AVAIL_F_NO_INTERRUPT */
    movl $0xf, STATUS(%rbx)
    mov STATUS(%rbx), %eax
    test $0x40, %eax            /* DEVICE_NEEDS_RESET */
    jz 7f
    FAIL "DEVICE_NEEDS_RESET after DRIVER_OK"

    /* QD fixed chains, one per slot s: descriptors 3s (header, 16 bytes), 3s+1 (4 KiB data, device-writable),
       3s+2 (status byte, device-writable). Only the header's sector changes per request. */
7:  xor %ecx, %ecx
8:  lea (%rcx,%rcx,2), %eax
    shl $4, %eax
    lea desc(%rax), %rdi        /* &desc[3s] */
    mov %ecx, %eax
    shl $4, %eax
    add $hdrs, %eax
    mov %rax, (%rdi)            /* addr */
    movl $16, 8(%rdi)           /* len */
    movw $1, 12(%rdi)           /* VIRTQ_DESC_F_NEXT */
    lea (%rcx,%rcx,2), %eax
    inc %eax
    mov %ax, 14(%rdi)           /* next */
    mov %ecx, %eax
    shl $12, %eax
    add $databuf, %eax
    mov %rax, 16(%rdi)
    movl $4096, 24(%rdi)
    movw $3, 28(%rdi)           /* NEXT | WRITE */
    lea (%rcx,%rcx,2), %eax
    add $2, %eax
    mov %ax, 30(%rdi)
    lea statuses(%rcx), %rax
    mov %rax, 32(%rdi)
    movl $1, 40(%rdi)
    movw $2, 44(%rdi)           /* WRITE */
    inc %ecx
    cmp $QD, %ecx
    jb 8b

    PRINT "DEVPATH device 0x"
    mov %rbx, %rax
    call puthex
    PRINT " version "
    mov VERSION(%rbx), %eax
    call putdec
    PRINT " vendor 0x"
    mov 0xc(%rbx), %eax
    call puthex
    PRINT " features 0x"
    mov features, %rax
    call puthex
    PRINT " queue_num_max "
    mov qnummax, %rax
    call putdec
    PRINT " capacity "
    mov capacity, %rax
    call putdec
    PRINT " sectors\n"

    xor %ebp, %ebp
    xor %r15d, %r15d

    /* Queue depth 1: one request at a time, slot 0, N round trips. */
    PRINT "DEVPATH qd1 begin\n"
    movq $0, notifies
    call tsc
    mov %rax, t0
    xor %r14d, %r14d            /* i */
10: cmp $NREQ, %r14
    jae 11f
    xor %edi, %edi              /* slot 0 */
    mov %r14, %rsi
    call submit
    call kick
    call wait_used
    call complete
    inc %r14
    jmp 10b
11: call tsc
    sub t0, %rax
    mov %rax, t0
    PRINT "DEVPATH qd1 end "
    mov %r14, %rax
    call putdec
    PRINT " ok\nDEVPATH qd1 tsc "
    mov t0, %rax
    call putdec
    PRINT "\nDEVPATH qd1 notifies "
    mov notifies, %rax
    call putdec
    PRINT "\n"

    /* Queue depth 32: fill every slot, kick once; then each batch of completions is re-published and kicked once. */
    PRINT "DEVPATH qd32 begin\n"
    movq $0, notifies
    call tsc
    mov %rax, t0
    xor %r14d, %r14d            /* requests submitted */
    xor %r13d, %r13d            /* requests completed */
20: cmp $QD, %r14
    jae 21f
    cmp $NREQ, %r14
    jae 21f
    mov %r14d, %edi
    mov %r14, %rsi
    call submit
    inc %r14
    jmp 20b
21: test %r14, %r14
    jz 25f
    call kick
22: cmp $NREQ, %r13
    jae 25f
    call wait_used
    xor %r8d, %r8d              /* chains re-published in this batch */
23: call complete               /* eax = the slot it completed */
    inc %r13
    cmp $NREQ, %r14
    jae 24f
    mov %eax, %edi
    mov %r14, %rsi
    call submit
    inc %r14
    inc %r8d
24: movzwl used + 2, %eax       /* more completions already there? take them before kicking */
    cmp %r15w, %ax
    jne 23b
    test %r8d, %r8d
    jz 22b
    call kick
    jmp 22b
25: call tsc
    sub t0, %rax
    mov %rax, t0
    PRINT "DEVPATH qd32 end "
    mov %r13, %rax
    call putdec
    PRINT " ok\nDEVPATH qd32 tsc "
    mov t0, %rax
    call putdec
    PRINT "\nDEVPATH qd32 notifies "
    mov notifies, %rax
    call putdec
    PRINT "\nDEVPATH done\n"
    jmp poweroff

/* submit(edi = slot, rsi = request number): read sector (i * 8) % (capacity - 8) into the slot's buffer and
   publish its chain. Clobbers rax, rcx, rdx. */
submit:
    lea (,%rsi,8), %rax
    xor %edx, %edx
    div %r12
    mov %edi, %eax
    shl $4, %eax
    mov %rdx, hdrs + 8(%rax)    /* type IN (0) and reserved stay 0 */
    movb $0xff, statuses(%rdi)  /* so a request the device never answered cannot pass */
    mov %edi, %eax
    shl $12, %eax
    movq $-1, databuf(%rax)     /* so must the sector stamp */
    mov %ebp, %eax
    and $(QSIZE - 1), %eax
    lea (%rdi,%rdi,2), %ecx     /* head = 3 * slot */
    mov %cx, avail + 4(,%rax,2)
    inc %ebp
    sfence                      /* ring entry before idx (x86 keeps store order anyway; this is the spec's barrier) */
    mov %bp, avail + 2
    ret

/* kick: notify queue 0 unless the device has asked not to be (used.flags VIRTQ_USED_F_NO_NOTIFY). The mfence
   orders our avail.idx store before the flags load, as the device re-checks avail.idx after re-enabling. */
kick:
    mfence
    testw $1, used
    jnz 1f
    movl $0, QNOTIFY(%rbx)
    incq notifies
1:  ret

/* wait_used: spin until used.idx moves past r15w; fails after 2^32 spins. Clobbers rax, rcx. */
wait_used:
    movabs $0x100000000, %rcx
1:  movzwl used + 2, %eax
    cmp %r15w, %ax
    jne 2f
    pause
    dec %rcx
    jnz 1b
    FAIL "timeout waiting for used.idx"
2:  ret

/* complete: consume used.ring[r15], check its head, status byte and the sector stamp the runner wrote into the
   image. Returns the slot in eax. Clobbers rax, rcx, rdx, rdi. (x86 does not reorder loads: no read barrier.) */
complete:
    mov %r15d, %eax
    and $(QSIZE - 1), %eax
    mov used + 4(,%rax,8), %eax /* id: the chain's head */
    xor %edx, %edx
    mov $3, %ecx
    div %ecx
    test %edx, %edx
    jnz 1f
    cmp $QD, %eax
    jae 1f
    inc %r15d
    cmpb $0, statuses(%rax)
    jne 2f
    mov %eax, %edi
    shl $4, %edi
    mov hdrs + 8(%rdi), %rcx    /* the sector asked for... */
    mov %eax, %edi
    shl $12, %edi
    cmp databuf(%rdi), %rcx     /* ...is the stamp at its start */
    jne 3f
    ret
1:  FAIL "used ring returned an unknown head"
2:  FAIL "status byte not 0 (VIRTIO_BLK_S_OK)"
3:  FAIL "data does not carry its sector number"

    .section .rodata
hexdigits: .ascii "0123456789abcdef"

    .data
    .align 16
gdt:
    .quad 0
    .quad 0x00af9b000000ffff    /* 0x08 kernel code, 64-bit */
    .quad 0x00cf93000000ffff    /* 0x10 kernel data */
    .quad 0x00cff3000000ffff    /* 0x18 user data, DPL3 */
    .quad 0x00affb000000ffff    /* 0x20 user code, 64-bit, DPL3 */
gdt_tss:
    .quad 0, 0                  /* 0x28 TSS, filled in at run time */
gdt_end:
    .align 8
gdtr:
    .word gdt_end - gdt - 1
    .quad gdt
    .align 8
idtr:
    .word 32 * 16 - 1
    .quad idt

    /* Identity map of the first 4 GiB in 2 MiB pages, built by the assembler so that no emulated ring-0 loop has
       to: present, writable, user (U/S, so ring 3 reaches RAM and the MMIO windows). */
    .align 4096
pml4:
    .quad pdpt + 7
    .fill 511, 8, 0
pdpt:
    .quad pd + 7, pd + 0x1007, pd + 0x2007, pd + 0x3007
    .fill 508, 8, 0
pd:
    .set addr, 0
    .rept 2048
    .quad addr + 0x87           /* 2 MiB page (PS), user, writable, present */
    .set addr, addr + 0x200000
    .endr

    .bss
    .align 4096
idt: .space 32 * 16
tss: .space 104
features: .space 8
qnummax: .space 8
capacity: .space 8
notifies: .space 8
t0: .space 8
in_ring3: .space 1              /* which way puts and poweroff reach the ports */
    .align 4096
    .space 4096
kstack_top:
    .space 16384
ustack_top:
    /* The split virtqueue (virtio 1.2, 2.7): descriptor table, available ring, used ring, each page-aligned. */
    .align 4096
vq_start:
desc: .space QSIZE * 16
    .align 4096
avail: .space 4 + QSIZE * 2 + 2
    .align 4096
used: .space 4 + QSIZE * 8 + 2
    .align 4096
hdrs: .space QD * 16            /* struct virtio_blk_req header: le32 type, le32 reserved, le64 sector */
statuses: .space QD
    .align 4096
databuf: .space QD * 4096
vq_end:
