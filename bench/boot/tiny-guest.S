/* bench/boot's minimal guest: prints one line on COM1 and powers off at once, so that a run measures the VMM
   itself (process start, KVM and memory setup, first guest output, teardown). It has two entry points:
   the ELF entry, in 64-bit mode, for VMMs that enter kernels the Linux 64-bit way (SharpVirt), and a PVH entry
   (Xen ELF note, 32-bit protected mode) for QEMU. To stop, it writes ACPI S5 to SharpVirt's sleep control port
   and 0 to QEMU's isa-debug-exit port 0x501. */
    .set COM1, 0x3f8
    .globl _start

    .section .note.Xen, "a", @note
    .align 4
    .long 4, 4, 18              /* namesz, descsz, XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .long pvh_start

    .text
    .code32
pvh_start:
    cli
    lgdt gdtr
    /* Identity-map the first 1 GiB with 2 MiB pages. */
    movl $pdpt + 3, pml4
    movl $pd + 3, pdpt
    xor %ecx, %ecx
1:  mov %ecx, %eax
    shl $21, %eax
    or $0x83, %eax
    mov %eax, pd(,%ecx,8)
    inc %ecx
    cmp $512, %ecx
    jne 1b
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
    ljmp $0x08, $_start

    .code64
_start:
    lea msg(%rip), %rsi
    mov $COM1, %dx
2:  lodsb
    test %al, %al
    jz 3f
    out %al, %dx
    jmp 2b
3:  mov $0x3c0, %dx
    mov $0x34, %al
    out %al, %dx
    mov $0x501, %dx
    xor %al, %al
    out %al, %dx
4:  hlt
    jmp 4b

    .data
    .align 8
gdt:
    .quad 0
    .quad 0x00af9b000000ffff
    .quad 0x00cf93000000ffff
gdtr:
    .word gdtr - gdt - 1
    .long gdt
msg: .asciz "TINY-GUEST up\n"
    .bss
    .align 4096
pml4: .space 4096
pdpt: .space 4096
pd: .space 4096
