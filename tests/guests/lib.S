    .code64
    .include "common.inc"
    .globl puts
    .text
/* puts: writes bytes from (%rsi) to COM1 until NUL. */
puts:
    mov $COM1, %dx
1:  lodsb
    test %al, %al
    jz 2f
    out %al, %dx
    jmp 1b
2:  ret
