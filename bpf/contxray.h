/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Structures shared by the BPF programs (bpf/contxray.bpf.c) and the native decoder
 * (native/decode.cc). A member named like a column of src/capture/schema.ts feeds that column:
 * scripts/gen-native-columns.mjs turns the pair into native/columns.gen.h (see its header for the
 * naming rules). test/unit/native-schema.test.ts compares every member the decoder reads with
 * the BPF object's BTF. Every field has a fixed width so the BPF (clang -target bpf) and host
 * (g++ x86_64/arm64) layouts are identical.
 */
#ifndef CONTXRAY_H
#define CONTXRAY_H

#define CX_COMM_LEN 16
#define CX_FSTYPE_LEN 32
/* argv bytes kept per exec (NUL-separated strings). Larger vectors are cut, `truncated` set. */
#define CX_MAX_ARGV 16384
#define CX_MAX_FILENAME 512
/* A resolved path is at most this long; longer ones keep their last components, `truncated`. */
#define CX_MAX_PATH 4096
/* Path components walked (dentries, mount crossings included) before giving up. */
#define CX_MAX_DEPTH 64

/* Ring-buffer record kinds. */
enum cx_kind {
	CX_NEW_CGROUP = 1,
	CX_EXEC = 2,
	CX_FORK = 3,
	CX_EXIT = 4,
	CX_OPEN = 5,
	CX_CONNECT = 6,
	CX_ACCEPT = 7,
	CX_CLOSE = 8,
};

/* Verdicts in the cgroup_verdict map. Missing = never seen (BPF inserts PENDING). */
enum cx_verdict {
	CX_PENDING = 0,
	CX_RECORD = 1,
	CX_IGNORE = 2,
};

/* Open recording modes (rodata `opens_mode`). */
enum cx_opens {
	CX_OPENS_NONE = 0,
	CX_OPENS_HOST = 1,
	CX_OPENS_ALL = 2,
};

/* Indexes into the per-CPU `counters` array (BPF side). Names in native/contxray.cc. */
enum cx_counter {
	CXC_DROP_EXEC,
	CXC_DROP_FORK,
	CXC_DROP_EXIT,
	CXC_DROP_OPEN,
	CXC_DROP_CONNECT,
	CXC_DROP_ACCEPT,
	CXC_DROP_CLOSE,
	CXC_DROP_NEW_CGROUP,
	CXC_DROP_SYSCALL_MAP_FULL,
	CXC_TRUNC_ARGV,
	CXC_TRUNC_PATH,
	CXC_ARGV_READ_ERROR,
	CXC_OPENS_SKIPPED_ROOTFS,
	CXC_DROP_SOCK_MAP_FULL,
	CXC_DROP_INFLIGHT_MAP_FULL,
	CXC_SIGRETURN_EXIT_SKIPPED,
	CXC_NR,
};

/* Common header of every ring-buffer record except CX_NEW_CGROUP. */
struct cx_hdr {
	__u8 kind;
	__u8 truncated;
	__u16 pad;
	__u32 pid; /* tgid, host pid namespace */
	__u32 tid;
	__u32 uid; /* real uid */
	__u64 ts; /* bpf_ktime_get_boot_ns() */
	__u64 cgroup_id;
	char comm[CX_COMM_LEN];
}; /* 48 bytes */

struct cx_new_cgroup {
	__u8 kind;
	__u8 pad[7];
	__u64 cgroup_id;
};

/* Followed by filename_len bytes of filename then argv_len bytes of NUL-separated argv. */
struct cx_exec {
	struct cx_hdr h;
	__u32 ppid;
	__u16 filename_len;
	__u16 pad;
	__u32 argv_len;
	__u32 pad2;
	char data[CX_MAX_FILENAME + CX_MAX_ARGV];
};

struct cx_fork {
	struct cx_hdr h; /* pid/tid = child, cgroup = child's */
	__u32 ppid;
	__u32 pad;
};

struct cx_exit {
	struct cx_hdr h;
	__s32 exit_code;
	__u32 pad;
};

/* Followed by path_len bytes of path (no NUL). */
struct cx_open {
	struct cx_hdr h;
	__s64 ret;
	__u64 fs_magic;
	__s32 syscall_nr;
	__u32 open_flags;
	__u16 path_len;
	__u16 pad[3];
	char fs_type[CX_FSTYPE_LEN];
	char path[CX_MAX_PATH];
};

/* connect, accept and close: addresses from the process's own point of view. */
struct cx_sock {
	struct cx_hdr h;
	__s64 ret; /* connect/accept result; 0 for close */
	__u64 sock_cookie;
	__u64 duration_ns; /* close only */
	__u64 bytes_sent; /* close only: tcp_sock.bytes_acked */
	__u64 bytes_received; /* close only */
	__u8 laddr[16]; /* IPv6, or IPv4 as ::ffff:a.b.c.d */
	__u8 raddr[16];
	__u16 lport; /* host byte order */
	__u16 rport;
	__u16 family;
	__u8 protocol;
	__u8 pad;
};

/* Syscall aggregates: per-CPU hash `syscalls`. Key padding must be zero (hash keys are bytes). */
struct cx_sc_key {
	__u64 cgroup_id;
	__u32 pid;
	__u32 tid;
	__s32 syscall_nr;
	__s32 denied_errno;
	__u8 epoch; /* 0/1: user space flips `epoch` and drains the other half */
	__u8 compat;
	__u8 filtered;
	__u8 pad;
	/* the task's program generation (bumped at exec and PR_SET_NAME): calls made before and
	 * after an exec are separate rows, each with the comm of the program that made them */
	__u32 xgen;
};

struct cx_sc_val {
	__u64 count;
	__u64 errors;
	__u64 denied;
	char comm[CX_COMM_LEN]; /* comm of the key's program (one per xgen) */
};

/*
 * User space's view of one syscall aggregate (the key, the values summed over CPUs, the window
 * start as boot-time ns): what the decoder turns into a `syscall` row. Never in a BPF map.
 */
struct cx_sc_row {
	__u64 ts;
	struct cx_sc_key k;
	struct cx_sc_val v;
};

/* Both compilers (clang -target bpf, g++ for the addon) must agree with these numbers. */
#ifdef __cplusplus
#define CX_ASSERT static_assert
#else
#define CX_ASSERT _Static_assert
#endif
CX_ASSERT(sizeof(struct cx_hdr) == 48, "cx_hdr");
CX_ASSERT(sizeof(struct cx_new_cgroup) == 16, "cx_new_cgroup");
CX_ASSERT(sizeof(struct cx_exec) == 64 + CX_MAX_FILENAME + CX_MAX_ARGV, "cx_exec");
CX_ASSERT(sizeof(struct cx_fork) == 56, "cx_fork");
CX_ASSERT(sizeof(struct cx_exit) == 56, "cx_exit");
CX_ASSERT(sizeof(struct cx_open) == 112 + CX_MAX_PATH, "cx_open");
CX_ASSERT(sizeof(struct cx_sock) == 128, "cx_sock");
CX_ASSERT(sizeof(struct cx_sc_key) == 32, "cx_sc_key");
CX_ASSERT(sizeof(struct cx_sc_val) == 40, "cx_sc_val");

#endif /* CONTXRAY_H */
