// Constants shared by the assembly (traps.S, user.S) and C/Swift (kernel_support.h): only
// #defines here, so both kinds of source can include it. libc.c checks them against the structs.
#pragma once

// struct cpu_local (GS-relative offsets)
#define CPU_LOCAL_KERNEL_STACK_TOP 16
#define CPU_LOCAL_USER_RSP 24
#define CPU_LOCAL_TSS 32

// struct trap_frame
#define TRAP_FRAME_VECTOR 120
#define TRAP_FRAME_RIP 136
#define TRAP_FRAME_CS 144
#define TRAP_FRAME_RFLAGS 152
#define TRAP_FRAME_RSP 160
#define TRAP_FRAME_SIZE 176

// Segment selectors (Descriptors.swift): user selectors with RPL 3.
#define USER_DATA_SELECTOR 0x1B
#define USER_CODE_SELECTOR 0x23

/// trap_frame.vector of a frame built by the SYSCALL entry (not an interrupt vector).
#define SYSCALL_FRAME_VECTOR 256

/// End of the user half (PML4 entries 0–254); SYSRET only returns below it.
#define USER_ADDRESS_LIMIT 0x00007F8000000000
