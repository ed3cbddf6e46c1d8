/* Executes xrstor in kernel mode: kvm_pvm hosts cannot emulate it; the VMM must stop with the RIP and bytes. */
    .code64
    .include "common.inc"
    .globl _start
    .text
_start:
    PUTS msg
    xor %eax, %eax
    xor %edx, %edx
    lea area(%rip), %rdi
    xrstor64 (%rdi)
    PUTS after
    POWEROFF
1:  hlt
    jmp 1b
    .data
msg: .asciz "XRSTOR-TEST start\n"
after: .asciz "XRSTOR-TEST survived\n"
    .align 64
area: .space 4096
