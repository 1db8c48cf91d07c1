/* SPDX-License-Identifier: MIT */
/*
 * Entry points of the test guest.
 * _start64: Linux 64-bit boot protocol (long mode, CPL0, RSI = boot_params),
 *           as minivmm's ELF loader enters it.
 * _start32: PVH entry (32-bit protected mode, EBX = hvm_start_info), as
 *           QEMU's -kernel enters an ELF with a PVH note.
 * Both reach ring0_main(kind, info) on our own stack; ring0_main never returns.
 */
	.section .note.pvh, "a"
	.balign 4
	.long 4			/* name size: "Xen\0" */
	.long 4			/* desc size */
	.long 18		/* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long _start32

	.section .text.entry, "ax"
	.code64
	.globl _start64
_start64:
	cli
	lea boot_stack_top(%rip), %rsp
	mov %rsi, %rsi
	xor %edi, %edi		/* kind 0: Linux boot_params in RSI */
	call ring0_main
1:	hlt
	jmp 1b

	.code32
	.globl _start32
_start32:
	cli
	mov %ebx, %esi		/* hvm_start_info */
	/* Identity-map 4 GiB with 2 MiB pages in pvh_pml4/pdpt/pd, enter long mode. */
	lea pvh_pd, %edi
	xor %eax, %eax
	mov $0x83, %eax		/* present, writable, 2 MiB */
	xor %edx, %edx
	mov $2048, %ecx
2:	mov %eax, (%edi)
	mov %edx, 4(%edi)
	add $0x200000, %eax
	adc $0, %edx
	add $8, %edi
	loop 2b
	lea pvh_pdpt, %edi
	lea pvh_pd, %eax
	or $3, %eax
	mov $4, %ecx
3:	mov %eax, (%edi)
	movl $0, 4(%edi)
	add $4096, %eax
	add $8, %edi
	loop 3b
	lea pvh_pml4, %edi
	lea pvh_pdpt, %eax
	or $3, %eax
	mov %eax, (%edi)
	movl $0, 4(%edi)
	mov %edi, %cr3
	mov %cr4, %eax
	or $0x20, %eax		/* PAE */
	mov %eax, %cr4
	mov $0xc0000080, %ecx	/* EFER */
	rdmsr
	or $0x100, %eax		/* LME */
	wrmsr
	mov %cr0, %eax
	or $0x80000001, %eax	/* PG | PE */
	mov %eax, %cr0
	lgdt pvh_gdt_desc
	ljmp $0x08, $4f
	.code64
4:	mov $0x10, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	lea boot_stack_top(%rip), %rsp
	mov $1, %edi		/* kind 1: PVH start info in RSI */
	call ring0_main
5:	hlt
	jmp 5b

	.section .rodata
	.balign 8
pvh_gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: data */
pvh_gdt_desc:
	.word pvh_gdt_desc - pvh_gdt - 1
	.long pvh_gdt

	.bss
	.balign 4096
pvh_pml4: .skip 4096
pvh_pdpt: .skip 4096
pvh_pd:   .skip 4 * 4096
	.balign 16
boot_stack: .skip 16384
boot_stack_top:

	/* Exception stubs: vector number in EDI, then the common handler. */
	.text
	.globl exc_stubs
	.balign 16
exc_stubs:
	.set vec, 0
	.rept 32
	.balign 16
	mov $vec, %edi
	mov %rsp, %rsi
	jmp exception
	.set vec, vec + 1
	.endr

	/* Ring 3 starts here with RSP 16-aligned; give C its usual alignment. */
	.text
	.globl user_entry
user_entry:
	and $-16, %rsp
	call user_main
	ud2
