/* Writes a line to COM1 and powers off through ACPI S5. */
    .code64
    .include "common.inc"
    .globl _start
    .text
_start:
    PUTS hello
    POWEROFF
1:  hlt
    jmp 1b
    .data
hello: .asciz "UART-TEST hello from the guest\n"
