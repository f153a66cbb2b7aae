/*
 * Bare-metal test runtime: reset entry at 0x100, one stub per exception
 * vector (0x200..0xE00) that saves every GPR in a frame on the current
 * stack and calls `exc_handler(vector, frame)` (frame[n] = rN; the handler
 * may change frame words and EPCR/ESR), then restores and l.rfe.
 * main() returning stores 0x5555 to the syscon: QEMU exits 0.
 */
    .section .vectors, "ax"
    .org 0x100
    .global _start
_start:
    l.movhi r0, 0
    l.movhi r1, hi(_stack_top)
    l.ori   r1, r1, lo(_stack_top)
    l.jal   main
    l.nop
    .global bm_finish
bm_finish:
    l.movhi r3, 0x9600
    l.ori   r4, r0, 0x5555
    l.sw    0(r3), r4
1:  l.j 1b
    l.nop

    .macro VEC n
    .org \n
    l.addi  r1, r1, -128
    l.sw    12(r1), r3
    l.ori   r3, r0, \n
    l.j     exc_common
    l.nop
    .endm

    VEC 0x200
    VEC 0x300
    VEC 0x400
    VEC 0x500
    VEC 0x600
    VEC 0x700
    VEC 0x800
    VEC 0x900
    VEC 0xa00
    /* range: clear SR.OVE first (the stub's own l.addi would raise again) */
    .org 0xb00
    l.mtspr r0, r3, 0x43f
    l.ori   r3, r0, 0x8001
    l.mtspr r0, r3, 0x11
    l.mfspr r3, r0, 0x43f
    l.addi  r1, r1, -128
    l.sw    12(r1), r3
    l.ori   r3, r0, 0xb00
    l.j     exc_common
    l.nop
    VEC 0xc00
    VEC 0xd00
    VEC 0xe00

    .org 0xf00
exc_common:
    l.sw    8(r1), r2
    l.sw    16(r1), r4
    l.sw    20(r1), r5
    l.sw    24(r1), r6
    l.sw    28(r1), r7
    l.sw    32(r1), r8
    l.sw    36(r1), r9
    l.sw    40(r1), r10
    l.sw    44(r1), r11
    l.sw    48(r1), r12
    l.sw    52(r1), r13
    l.sw    56(r1), r14
    l.sw    60(r1), r15
    l.sw    64(r1), r16
    l.sw    68(r1), r17
    l.sw    72(r1), r18
    l.sw    76(r1), r19
    l.sw    80(r1), r20
    l.sw    84(r1), r21
    l.sw    88(r1), r22
    l.sw    92(r1), r23
    l.sw    96(r1), r24
    l.sw    100(r1), r25
    l.sw    104(r1), r26
    l.sw    108(r1), r27
    l.sw    112(r1), r28
    l.sw    116(r1), r29
    l.sw    120(r1), r30
    l.sw    124(r1), r31
    l.addi  r4, r1, 128
    l.sw    4(r1), r4
    l.or    r4, r1, r0
    l.jal   exc_handler
    l.nop
    l.lwz   r2, 8(r1)
    l.lwz   r3, 12(r1)
    l.lwz   r4, 16(r1)
    l.lwz   r5, 20(r1)
    l.lwz   r6, 24(r1)
    l.lwz   r7, 28(r1)
    l.lwz   r8, 32(r1)
    l.lwz   r9, 36(r1)
    l.lwz   r10, 40(r1)
    l.lwz   r11, 44(r1)
    l.lwz   r12, 48(r1)
    l.lwz   r13, 52(r1)
    l.lwz   r14, 56(r1)
    l.lwz   r15, 60(r1)
    l.lwz   r16, 64(r1)
    l.lwz   r17, 68(r1)
    l.lwz   r18, 72(r1)
    l.lwz   r19, 76(r1)
    l.lwz   r20, 80(r1)
    l.lwz   r21, 84(r1)
    l.lwz   r22, 88(r1)
    l.lwz   r23, 92(r1)
    l.lwz   r24, 96(r1)
    l.lwz   r25, 100(r1)
    l.lwz   r26, 104(r1)
    l.lwz   r27, 108(r1)
    l.lwz   r28, 112(r1)
    l.lwz   r29, 116(r1)
    l.lwz   r30, 120(r1)
    l.lwz   r31, 124(r1)
    l.addi  r1, r1, 128
    l.rfe
