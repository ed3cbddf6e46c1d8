/* SMP bring-up: the boot CPU counts the processors the VMM's MP table lists, wakes every other CPU with
   INIT and STARTUP IPIs through its local APIC, as Linux does. Each application processor starts in real
   mode at 0x8000, counts itself in memory and halts; the boot CPU waits for them all, prints the count and
   powers off. */
    .code64
    .include "common.inc"
    .set APIC_ICR_LOW, 0xfee00300
    .set APIC_ICR_HIGH, 0xfee00310
    .set AP_COUNT, 0x5000
    .globl _start
    .text
_start:
    movl $0, AP_COUNT
    call count_mp_processors        /* -> expected_aps */
    mov $APIC_ICR_HIGH, %rsi
    mov $APIC_ICR_LOW, %rdi
    mov $1, %ebx                    /* APIC ID of the next AP */
next_ap:
    cmp expected_aps(%rip), %ebx
    ja wait_all
    mov %ebx, %eax
    shl $24, %eax
    movl %eax, (%rsi)
    movl $0x4500, (%rdi)            /* INIT, level assert */
    movl %eax, (%rsi)
    movl $0x4608, (%rdi)            /* STARTUP, vector 0x08 -> 0x8000 */
    inc %ebx
    jmp next_ap
wait_all:
    mov $200000000, %rcx            /* bounded wait */
1:  mov AP_COUNT, %eax
    cmp expected_aps(%rip), %eax
    je all_up
    pause
    loop 1b
    PUTS timeout_msg
    POWEROFF
all_up:
    PUTS ok_msg
    mov AP_COUNT, %eax
    add $'0', %al
    mov $COM1, %dx
    out %al, %dx
    mov $'\n', %al
    out %al, %dx
    POWEROFF
2:  hlt
    jmp 2b

/* Walks the MP configuration table (floating pointer at 0x9fc00) and stores processors - 1 in expected_aps. */
count_mp_processors:
    mov $0x9fc00, %rsi
    cmpl $0x5f504d5f, (%rsi)        /* "_MP_" */
    jne 9f
    mov 4(%rsi), %esi               /* configuration table */
    movzwl 0x22(%rsi), %ecx         /* entry count */
    lea 0x2c(%rsi), %rsi
    xor %edx, %edx
4:  test %ecx, %ecx
    jz 6f
    cmpb $0, (%rsi)
    jne 5f
    inc %edx
    add $20, %rsi
    dec %ecx
    jmp 4b
5:  add $8, %rsi
    dec %ecx
    jmp 4b
6:  dec %edx
    mov %edx, expected_aps(%rip)
9:  ret

    .data
expected_aps: .long 0
ok_msg: .asciz "SMP-TEST application processors up: "
timeout_msg: .asciz "SMP-TEST timeout waiting for application processors\n"

    .section .ap, "ax"
    .code16
ap_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    lock incl AP_COUNT
3:  hlt
    jmp 3b
