/* Asks the i8042 keyboard controller for a CPU reset (command 0xFE on port 0x64), as reboot=k does. */
    .code64
    .include "common.inc"
    .globl _start
    .text
_start:
    PUTS msg
    mov $0xfe, %al
    out %al, $0x64
1:  hlt
    jmp 1b
    .data
msg: .asciz "REBOOT-TEST resetting\n"
