/* Counts forever: increments the 64-bit counter at COUNTER and writes the POST port each time, so the vCPU both
   runs guest code and exits to the VMM; the pause tests read the counter to see whether the guest runs. */
    .code64
    .include "common.inc"
    .set COUNTER, 0x300000
    .set POST_PORT, 0x80
    .globl _start
    .text
_start:
    PUTS hello
    movq $0, COUNTER
1:  incq COUNTER
    out %al, $POST_PORT
    jmp 1b
    .data
hello: .asciz "COUNTER-TEST counting\n"
