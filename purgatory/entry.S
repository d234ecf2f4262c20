/* arm64 purgatory entry. machine_kexec enters it through cpu_soft_restart:
 * MMU and caches off, at EL1 (or EL2), interrupts masked. Set up the stack,
 * check the segments' digest (purgatory_main returns only when it matches),
 * then enter the kernel as arm64's booting.rst asks: x0 = the device tree's
 * physical address, x1..x3 = 0. */
#include "initramfs/purgatory_params.h"

	.section .text.entry, "ax"
	.globl	_start
_start:
	adr	x9, purg_stack_top
	mov	sp, x9
	bl	purgatory_main
	adr	x9, purg_params
	ldr	x17, [x9, #PURG_OFF_ENTRY]
	ldr	x0, [x9, #PURG_OFF_DTB]
	mov	x1, xzr
	mov	x2, xzr
	mov	x3, xzr
	br	x17

	.section .stack, "aw", %progbits
	.balign	16
	.space	8192
purg_stack_top:
