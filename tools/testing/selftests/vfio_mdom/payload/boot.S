/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Multiboot (v1) entry of the edu payload: QEMU's -kernel loads the ELF
 * and jumps here in 32-bit protected mode, flat segments, paging and
 * interrupts off. Set a stack and call payload_main(); if it ever returns,
 * halt.
 */
#define MB_MAGIC	0x1badb002
#define MB_FLAGS	0x00000000

	.section .multiboot, "a"
	.align 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

	.text
	.globl _start
_start:
	cli
	movl $stack_top, %esp
	cld
	call payload_main
1:	hlt
	jmp 1b

	.bss
	.align 16
	.skip 16384
stack_top:

	.section .note.GNU-stack, "", @progbits
