// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * contxray's kernel side: tracepoints only (fentry/kprobe/LSM are refused on the kernels we target).
 * See docs/bpf.md for what each program records and why.
 *
 *   tp_btf/sys_enter, tp_btf/sys_exit      syscall aggregates (per-CPU hot slot of counters,
 *                                          flushed into a per-CPU hash), seccomp denials; and,
 *                                          for the few syscalls concerned, file opens (path from
 *                                          a bounded dentry + mount walk), TCP connect (client)
 *                                          and accept (server)
 *   tp_btf/sched_process_exec|fork|exit    process tree
 *   tp/sock/inet_sock_set_state            establishment time and close (never uses `current`)
 *
 * One object, one skeleton. This file: constants, globals, maps and the helpers every concern
 * uses; then the concerns, in this order (each uses only what comes before it):
 *   process_tree.bpf.h  exec/fork/exit events
 *   path_walk.bpf.h     file opens and the path walk
 *   sockets.bpf.h       TCP connect/accept/close
 *   hot_slot.bpf.h      syscall aggregates: hot slot, sys_enter, sys_exit
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "contxray.h"

char LICENSE[] SEC("license") = "GPL";

/* Makes a pointer read by other means directly loadable (probe-mem loads, no helper call). */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;
#define CAST(type, p) ((type *)bpf_rdonly_cast((p), bpf_core_type_id_kernel(type)))

#define SECCOMP_MODE_FILTER 2
#define TS_COMPAT 0x0002 /* x86: thread_info.status bit set while in an ia32 syscall */
#define AF_INET 2
#define AF_INET6 10
#define EPERM 1
#define EACCES 13
#define EINPROGRESS 115
#define O_WRONLY 01
#define O_CREAT 0100
#define O_TRUNC 01000

/* Native syscall numbers handled by sys_enter/sys_exit beyond counting (compat calls are not). */
#if defined(__TARGET_ARCH_x86)
#define nr_open 2
#define nr_creat 85
#define nr_connect 42
#define nr_accept 43
#define nr_accept4 288
#define nr_openat 257
#define nr_openat2 437
#define nr_prctl 157
#elif defined(__TARGET_ARCH_arm64)
#define nr_open -2 /* no open/creat on arm64 */
#define nr_creat -3
#define nr_connect 203
#define nr_accept 202
#define nr_accept4 242
#define nr_openat 56
#define nr_openat2 437
#define nr_prctl 167
#endif
#define PR_SET_NAME 15

/* Set by user space before load. */
const volatile __u32 self_tgid = 0; /* the recorder itself is never recorded */
const volatile __u8 opens_mode = CX_OPENS_HOST;

#define CX_OVERLAYFS_MAGIC 0x794c7630 /* OVERLAYFS_SUPER_MAGIC */
const volatile __u64 rb_wakeup_bytes = 1 << 20; /* wake the consumer only past this much pending data */
const volatile __u32 max_argv = CX_MAX_ARGV; /* argv bytes kept per exec, <= CX_MAX_ARGV */

/* Flipped by user space (mmap'ed .bss) to drain the other half of `syscalls`. */
__u8 epoch = 0;
/* Bumped by user space after every verdict change: invalidates the verdicts cached per task. */
__u32 verdict_gen = 0;
/* Next socket cookie: unique per socket within one recording. */
__u64 next_cookie = 0;

/* Never used by the programs: they put every record type the decoder reads into the object's
 * BTF (stack-only types are not), where test/unit/native-schema.test.ts compares their layout with
 * the decoder's offsetof. */
struct cx_fork *abi_fork;
struct cx_exit *abi_exit;
struct cx_sock *abi_sock;
struct cx_new_cgroup *abi_new_cgroup;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* resized by user space */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64); /* cgroup v2 id */
	__type(value, __u8); /* enum cx_verdict */
} cgroup_verdict SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 32768);
	__type(key, struct cx_sc_key);
	__type(value, struct cx_sc_val);
} syscalls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CXC_NR);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/*
 * Per-task state (task storage: no hash lookup, freed with the task). Not touched on the hot path:
 * read when a task takes a CPU's `hot` slot, and for the few syscalls whose arguments the exit needs.
 */
struct task_ctx {
	/* cached cgroup verdict: valid while the task keeps its css_set and verdict_gen is unchanged */
	void *cset;
	__u64 cgroup_id;
	__u32 gen;
	__u8 wanted;
	__u8 has_hot; /* hot_cpu is valid */
	__u8 pad[2];
	__u32 hot_cpu; /* the CPU whose `hot` slot this task owns (or owned last) */
	__u64 regs; /* its pt_regs, the slot's owner identity */
	__u32 xgen; /* program generation: bumped at exec and PR_SET_NAME (cx_sc_key.xgen) */
	__u32 pad2;
};

/* Arguments saved at sys_enter of open*|connect|accept* for the matching sys_exit. */
struct cx_args {
	__u64 ptr;
	__u64 cg; /* cgroup of the call */
	__u32 flags;
	__s32 fd;
	__u32 len;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_ctx);
} task_ctx SEC(".maps");

/*
 * The hot path's state, one per CPU (a per-CPU array lookup is inlined by the verifier; a task
 * storage lookup is a helper call that cost ~30 ns per program here). The slot belongs to the
 * last task that made a syscall on this CPU: its cached identity and verdict, the syscall in
 * flight (`in`, pairs sys_enter with sys_exit) and HOT_SLOTS per-syscall counters indexed by
 * nr % HOT_SLOTS. See docs/bpf.md ("Per-CPU hot slot").
 */
#define HOT_SLOTS 16
struct hot_cnt {
	__u32 key; /* PEND_VALID | filtered << 30 | compat << 29 | nr; 0 = free */
	__u32 pad;
	__u64 count;
	__u64 errors;
};

struct hot {
	__u64 regs; /* owner's identity on the hot path: its pt_regs (top of its kernel stack), 0 = none */
	__u64 task; /* owner (struct task_struct *) */
	__u64 cset;
	__u64 cgroup_id;
	__u64 in; /* the owner's syscall in flight, see in_word() */
	__u32 gen;
	__u32 pid, tid;
	__u8 wanted;
	__u8 ep; /* epoch of the counts below */
	__u8 pad[2];
	__u32 xgen; /* the owner's program generation when it took the slot (comm belongs to it) */
	__u32 pad2;
	char comm[CX_COMM_LEN];
	struct cx_args a; /* the call in flight's arguments (IN_ARGS) */
	struct hot_cnt c[HOT_SLOTS];
};

struct inflight_v {
	__u64 in;
	struct cx_args a;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hot);
} hot SEC(".maps");

/* Syscalls in flight of tasks whose hot slot was taken by another task meanwhile (tid -> the in
 * word and arguments): deleted at the exit of the call, or of the thread. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct inflight_v);
} inflight SEC(".maps");

/* Events too big for the BPF stack are built here and copied with bpf_ringbuf_output (exact size). */
struct scratch {
	union {
		struct cx_exec exec;
		struct cx_open open;
	};
	char pathbuf[2 * CX_MAX_PATH];
	__u64 last_sb; /* fs_type cache: the last superblock whose type name was read */
	char last_fs_type[CX_FSTYPE_LEN];
	__u32 nevents; /* open events of this CPU, see rb_flags_every() */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

/* TCP sockets we follow: establishment time, attribution for the close event. */
struct sock_info {
	__u64 cookie; /* 0 = seen established, not (yet) connected/accepted by a recorded task */
	__u64 start_ts;
	__u64 est_ts;
	__u64 cgroup_id;
	__u32 pid, tid, uid;
	__u16 lport, rport; /* addresses as seen at connect/accept: ports are gone by TCP_CLOSE */
	__u8 laddr[16], raddr[16];
	__u16 family;
	__u16 pad;
	char comm[CX_COMM_LEN];
};

/* A plain hash, not LRU: an LRU would evict a tracked socket silently and lose its close event;
 * here a full map makes the insert at connect/accept fail, counted as drops.sock_map_full. Every
 * entry goes at TCP_CLOSE. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64); /* struct sock * */
	__type(value, struct sock_info);
} socks SEC(".maps");

/*
 * Read-and-reset without losing counts: user space flips `epoch`, then updates this map-in-map,
 * which makes the kernel wait for an RCU grace period (maybe_wait_bpf_programs), so no program
 * still writes the old half when user space reads and deletes it.
 */
struct rcu_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} rcu_inner SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct rcu_inner);
} rcu_sync SEC(".maps") = {
	.values = { [0] = &rcu_inner },
};

static __noinline void hot_release(struct task_struct *t);

/*
 * The task now runs another program (exec) or has another name (PR_SET_NAME): its next calls
 * are aggregated under a new generation, so they never merge into the rows of the calls made
 * before (which keep the old comm; runc's init and the workload it execs are one task).
 */
static __noinline void new_program(struct task_struct *t)
{
	if (!t)
		return;
	struct task_ctx *tc = bpf_task_storage_get(&task_ctx, t, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (tc)
		tc->xgen++;
}

static __always_inline void count(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &idx);
	if (c)
		*c += 1;
}

/* Wake the consumer only when the buffer fills up; it polls on a short timer otherwise. */
static __always_inline __u64 rb_flags(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > rb_wakeup_bytes ? BPF_RB_FORCE_WAKEUP
										: BPF_RB_NO_WAKEUP;
}

/* The same, asking the ring buffer only every 32nd event of a CPU (open storms). */
static __always_inline __u64 rb_flags_every(__u32 *n)
{
	if ((++*n & 31) == 0)
		return rb_flags();
	return BPF_RB_NO_WAKEUP;
}

/* Is this cgroup recorded? Unknown ones become PENDING (recorded) and are announced to user space. */
static __always_inline int cgroup_wanted(__u64 cg)
{
	__u8 *v = bpf_map_lookup_elem(&cgroup_verdict, &cg);
	if (v)
		return *v != CX_IGNORE;
	__u8 pending = CX_PENDING;
	if (bpf_map_update_elem(&cgroup_verdict, &cg, &pending, BPF_NOEXIST))
		return 1; /* lost a race with another CPU, or the map is full: record */
	struct cx_new_cgroup *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		/* user space would never hear of it: forget it so the next event retries */
		bpf_map_delete_elem(&cgroup_verdict, &cg);
		count(CXC_DROP_NEW_CGROUP);
		return 1;
	}
	e->kind = CX_NEW_CGROUP;
	e->cgroup_id = cg;
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	return 1;
}

static __always_inline int is_self(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == self_tgid;
}

static __always_inline __u8 task_compat(struct task_struct *t)
{
#if defined(__TARGET_ARCH_x86)
	/* in_ia32_syscall(): TS_COMPAT is set on entry through int80/sysenter/syscall32 */
	return (t->thread_info.status & TS_COMPAT) != 0;
#else
	return 0; /* arm64 compat (TIF_32BIT) not detected yet: see docs/bpf.md */
#endif
}

/*
 * Hot-path reads use direct BTF access (tp_btf programs): a bpf_probe_read_kernel costs ~40 ns
 * here, a direct load ~4 ns (measured with kernel.bpf_stats_enabled).
 */
static __always_inline __u8 task_filtered(struct task_struct *t)
{
	return t->seccomp.mode == SECCOMP_MODE_FILTER;
}

static __always_inline void fill_hdr(struct cx_hdr *h, __u8 kind, __u64 cg)
{
	__u64 pt = bpf_get_current_pid_tgid();
	h->kind = kind;
	h->truncated = 0;
	h->pad = 0;
	h->pid = pt >> 32;
	h->tid = (__u32)pt;
	h->uid = (__u32)bpf_get_current_uid_gid();
	h->ts = bpf_ktime_get_boot_ns();
	h->cgroup_id = cg;
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

/* The overhead floor for bench/overhead.ts: attached alone, instead of everything else. */
SEC("tp_btf/sys_enter")
int BPF_PROG(floor_sys_enter, struct pt_regs *regs, long id)
{
	return 0;
}

#include "process_tree.bpf.h"
#include "path_walk.bpf.h"
#include "sockets.bpf.h"
#include "hot_slot.bpf.h"
