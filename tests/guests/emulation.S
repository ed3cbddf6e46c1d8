/* Runs the instructions kvm_pvm cannot emulate in kernel mode and the VMM completes:
   int3 (must reach the guest's own #BP handler, with RIP after the int3) and lock cmpxchg16b
   (a successful exchange and a failed one, with ZF and RDX:RAX as the CPU defines them), fwait, ldmxcsr/stmxcsr, fnclex and emms. */
    .code64
    .include "common.inc"
    .globl _start
    .text
_start:
    /* IDT gate for vector 3 -> bp_handler (64-bit interrupt gate, selector 0x08). */
    lea bp_handler(%rip), %rax
    lea idt(%rip), %rdi
    mov %ax, 3*16(%rdi)
    movw $0x08, 3*16+2(%rdi)
    movw $0x8e00, 3*16+4(%rdi)
    shr $16, %rax
    mov %ax, 3*16+6(%rdi)
    shr $16, %rax
    mov %eax, 3*16+8(%rdi)
    lidt idtr(%rip)
    lea stack_top(%rip), %rsp

    int3
after_int3:
    cmpq $1, bp_count(%rip)
    jne fail
    lea after_int3(%rip), %rax
    cmp %rax, bp_rip(%rip)
    jne fail
    PUTS int3_ok

    /* Success: memory == RDX:RAX, so RCX:RBX is stored and ZF=1. */
    mov $0x1111, %rax
    mov $0x2222, %rdx
    mov $0x3333, %rbx
    mov $0x4444, %rcx
    lea target(%rip), %rdi
    lock cmpxchg16b (%rdi)
    jne fail
    cmpq $0x3333, target(%rip)
    jne fail
    cmpq $0x4444, target+8(%rip)
    jne fail
    /* Failure: memory differs, so it loads RDX:RAX from memory and ZF=0. */
    mov $0x9999, %rax
    mov $0x9999, %rdx
    lock cmpxchg16b target(%rip)
    je fail
    cmp $0x3333, %rax
    jne fail
    cmp $0x4444, %rdx
    jne fail
    PUTS cx16_ok
    fwait
    PUTS fwait_ok

    /* MXCSR round trip through the stack, the form Linux's kernel_fpu_begin uses (ldmxcsr 4(%rsp)). */
    sub $16, %rsp
    movl $0x1fc0, 4(%rsp)
    ldmxcsr 4(%rsp)
    movl $0, 8(%rsp)
    stmxcsr 8(%rsp)
    mov 8(%rsp), %eax
    add $16, %rsp
    cmp $0x1fc0, %eax
    jne fail
    fnclex
    emms
    PUTS sse_ok
    POWEROFF
fail:
    PUTS failed
    POWEROFF

bp_handler:
    incq bp_count(%rip)
    mov (%rsp), %rax
    mov %rax, bp_rip(%rip)
    iretq

    .data
int3_ok: .asciz "EMULATION-TEST int3 ok\n"
cx16_ok: .asciz "EMULATION-TEST cmpxchg16b ok\n"
failed: .asciz "EMULATION-TEST failed\n"
fwait_ok: .asciz "EMULATION-TEST fwait ok\n"
sse_ok: .asciz "EMULATION-TEST mxcsr fnclex emms ok\n"
    .align 16
target: .quad 0x1111, 0x2222
bp_count: .quad 0
bp_rip: .quad 0
idtr:
    .word 256*16 - 1
    .quad idt
    .align 16
idt: .space 256*16
    .space 4096
stack_top:
