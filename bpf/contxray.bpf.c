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
 * Order of this file: maps, helpers, processes, files, network, then the syscall programs that
 * call into files and network.
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

/* ---------------------------------------------------------------- processes */

SEC("tp_btf/sched_process_exec")
int BPF_PROG(sched_process_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	if (is_self())
		return 0;
	/* flush the counts under the old comm; the next call takes the slot with the new one */
	hot_release(p);
	new_program(p);
	__u64 cg = bpf_get_current_cgroup_id();
	if (!cgroup_wanted(cg))
		return 0;
	__u32 zero = 0;
	struct scratch *s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return 0;
	struct cx_exec *e = &s->exec;
	fill_hdr(&e->h, CX_EXEC, cg);
	e->ppid = BPF_CORE_READ(p, real_parent, tgid);
	e->pad = 0;
	e->pad2 = 0;

	const char *fn = BPF_CORE_READ(bprm, filename);
	long n = bpf_probe_read_kernel_str(e->data, CX_MAX_FILENAME, fn);
	__u32 fn_len = n > 0 ? n - 1 : 0; /* without the NUL */
	fn_len &= CX_MAX_FILENAME - 1;
	e->filename_len = fn_len;

	/* argv was just copied onto the new stack by the kernel: the pages are present */
	struct mm_struct *mm = BPF_CORE_READ(p, mm);
	unsigned long start = BPF_CORE_READ(mm, arg_start);
	unsigned long end = BPF_CORE_READ(mm, arg_end);
	__u64 len = end > start ? end - start : 0;
	if (len > max_argv) {
		len = max_argv;
		e->h.truncated = 1;
		count(CXC_TRUNC_ARGV);
	}
	if (len > CX_MAX_ARGV) /* for the verifier */
		len = CX_MAX_ARGV;
	if (bpf_probe_read_user(e->data + fn_len, len, (void *)start)) {
		count(CXC_ARGV_READ_ERROR);
		len = 0;
	}
	e->argv_len = len;
	__u64 size = offsetof(struct cx_exec, data) + fn_len + len;
	if (size > sizeof(*e))
		return 0;
	if (bpf_ringbuf_output(&events, e, size, rb_flags()))
		count(CXC_DROP_EXEC);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	/*
	 * Give every new task (threads too) its storage before it runs: sys_exit then tells a call
	 * denied by seccomp (storage, no sys_enter) from one in flight when we attached (no storage).
	 */
	bpf_task_storage_get(&task_ctx, child, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (child->pid != child->tgid)
		return 0; /* a thread, not a process */
	/* the child's own cgroup: clone3(CLONE_INTO_CGROUP) may put it elsewhere than the parent */
	__u64 cg = BPF_CORE_READ(child, cgroups, dfl_cgrp, kn, id);
	if (!cgroup_wanted(cg))
		return 0;
	struct cx_fork e = {};
	fill_hdr(&e.h, CX_FORK, cg);
	e.h.pid = child->tgid;
	e.h.tid = child->pid;
	e.ppid = parent->tgid;
	if (bpf_ringbuf_output(&events, &e, sizeof(e), rb_flags()))
		count(CXC_DROP_FORK);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_process_exit, struct task_struct *p, bool group_dead)
{
	/* this thread's last calls (exit_group among them) */
	hot_release(p);
	/* the process ends with its last thread (group_dead), not necessarily with its leader */
	if (!group_dead || is_self())
		return 0;
	__u64 cg = bpf_get_current_cgroup_id();
	if (!cgroup_wanted(cg))
		return 0;
	struct cx_exit e = {};
	fill_hdr(&e.h, CX_EXIT, cg);
	e.exit_code = p->exit_code;
	if (bpf_ringbuf_output(&events, &e, sizeof(e), rb_flags()))
		count(CXC_DROP_EXIT);
	return 0;
}

/* ---------------------------------------------------------------- files */

/*
 * The file/path code below uses direct loads through BTF pointers rather than
 * bpf_probe_read_kernel: each helper call costs ~40 ns here and a path walk needs dozens.
 */
static __always_inline struct file *fd_file(struct task_struct *t, long fd)
{
	struct fdtable *fdt = t->files->fdt;
	if (fd < 0 || fd >= fdt->max_fds)
		return 0;
	struct file **fds = fdt->fd;
	struct file *f = 0;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f ? CAST(struct file, f) : 0;
}

struct walk {
	struct dentry *dentry;
	struct vfsmount *vfsmnt;
	struct dentry *root_dentry;
	struct vfsmount *root_mnt;
	__u32 pos; /* path is built backwards: pathbuf[pos .. CX_MAX_PATH) */
	__u8 done;
	__u8 truncated;
};

/* One step up the tree: a path component, or a crossing from a mount root to its mountpoint.
 * Returns 1 when the walk is over. */
static __always_inline int walk_one(struct walk *w, struct scratch *s)
{
	struct dentry *d = w->dentry;
	struct vfsmount *vm = w->vfsmnt;
	if (!d || !vm)
		return 1;
	if (d == w->root_dentry && vm == w->root_mnt) {
		w->done = 1; /* the task's root: the path as the process sees it */
		return 1;
	}
	if (d == vm->mnt_root) {
		struct mount *m = CAST(struct mount, container_of(vm, struct mount, mnt));
		struct mount *parent = m->mnt_parent;
		if (parent == m) {
			w->done = 1; /* the namespace root without meeting the task root (chroot, other ns) */
			return 1;
		}
		w->dentry = m->mnt_mountpoint;
		w->vfsmnt = CAST(struct vfsmount, &parent->mnt);
		return 0;
	}
	struct dentry *up = d->d_parent;
	if (up == d) {
		w->done = 1; /* root of an unmounted/pseudo filesystem */
		return 1;
	}
	__u32 len = d->d_name.len;
	const unsigned char *name = d->d_name.name;
	if (len > 255)
		len = 255;
	if (len + 1 >= w->pos) {
		w->truncated = 1;
		return 1;
	}
	__u32 pos = w->pos - len;
	bpf_probe_read_kernel(&s->pathbuf[pos & (CX_MAX_PATH - 1)], len & 255, name);
	pos -= 1;
	s->pathbuf[pos & (CX_MAX_PATH - 1)] = '/';
	w->pos = pos;
	w->dentry = up;
	return 0;
}

/* bpf_loop callback: WALK_PER_CALL steps per call (each callback call costs a return thunk). */
#define WALK_PER_CALL 4
static long walk_step(__u32 i, struct walk *w)
{
	__u32 zero = 0;
	struct scratch *s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return 1;
	if (walk_one(w, s) || walk_one(w, s) || walk_one(w, s) || walk_one(w, s))
		return 1;
	return 0;
}

static __always_inline int prefix_is(const char *p, const char *dir, int n)
{
	for (int i = 0; i < n; i++)
		if (p[i] != dir[i])
			return 0;
	return p[n] == '/' || p[n] == 0;
}

/* Host mode keeps failed opens of kernel/host interfaces and permission denials. */
static __always_inline int failed_open_wanted(const char *p, long ret)
{
	if (ret == -EACCES || ret == -EPERM)
		return 1;
	if (p[0] != '/')
		return 0;
	return prefix_is(p + 1, "proc", 4) || prefix_is(p + 1, "sys", 3) || prefix_is(p + 1, "dev", 3) ||
	       prefix_is(p + 1, "run", 3);
}

/* At the exit of open/openat/openat2/creat of a recorded task (args saved at entry). */
/* comm: the CPU slot's copy of current's comm, or 0 to read it */
static __noinline int exit_open(struct task_struct *t, struct cx_args *a, __s32 nr, long ret, const char *comm)
{
	if (!t || !a)
		return 0;
	__u32 zero = 0;
	struct scratch *s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return 0;
	struct cx_open *e = &s->open;
	struct super_block *sb = 0;
	if (ret >= 0) {
		/* the host-mode skip first, before anything is copied */
		struct file *f = fd_file(t, ret);
		if (!f)
			return 0;
		sb = f->f_inode->i_sb;
		struct fs_struct *fs = t->fs;
		struct super_block *root_sb = fs->root.mnt->mnt_sb;
		/* Skip the container's own root filesystem: after pivot_root it is the task's root; before
		 * it, runc still has the host's root and works in the overlay it is about to enter. */
		if (opens_mode == CX_OPENS_HOST &&
		    (sb == root_sb || (sb->s_magic == CX_OVERLAYFS_MAGIC && root_sb->s_magic != CX_OVERLAYFS_MAGIC))) {
			count(CXC_OPENS_SKIPPED_ROOTFS);
			return 0;
		}
		struct walk w = {
			.dentry = f->f_path.dentry,
			.vfsmnt = f->f_path.mnt,
			.root_dentry = fs->root.dentry,
			.root_mnt = fs->root.mnt,
			.pos = CX_MAX_PATH,
		};
		bpf_loop(CX_MAX_DEPTH / WALK_PER_CALL, walk_step, &w, 0);
		e->h.truncated = 0;
		if (!w.done || w.truncated) { /* cut, or deeper than CX_MAX_DEPTH */
			e->h.truncated = 1;
			count(CXC_TRUNC_PATH);
		}
		__u32 pos = w.pos;
		if (pos >= CX_MAX_PATH) { /* the root itself */
			e->path[0] = '/';
			e->path_len = 1;
		} else {
			__u32 len = (CX_MAX_PATH - pos) & (CX_MAX_PATH - 1);
			bpf_probe_read_kernel(e->path, len, &s->pathbuf[pos & (CX_MAX_PATH - 1)]);
			e->path_len = len;
		}
		e->fs_magic = sb->s_magic;
		/* fs type name: cached per CPU for the last superblock */
		if ((__u64)sb != s->last_sb) {
			bpf_probe_read_kernel_str(s->last_fs_type, sizeof(s->last_fs_type), sb->s_type->name);
			s->last_sb = (__u64)sb;
		}
		__builtin_memcpy(e->fs_type, s->last_fs_type, CX_FSTYPE_LEN);
	} else {
		/* not resolved: the path as passed (relative ones stay relative) */
		long n = bpf_probe_read_user_str(e->path, CX_MAX_PATH, (void *)a->ptr);
		if (n <= 0)
			e->path[0] = 0;
		if (opens_mode == CX_OPENS_HOST && !failed_open_wanted(e->path, ret))
			return 0;
		__u32 len = n > 0 ? n - 1 : 0;
		e->h.truncated = 0;
		if (n == CX_MAX_PATH) {
			e->h.truncated = 1;
			count(CXC_TRUNC_PATH);
		}
		e->path_len = len & (CX_MAX_PATH - 1);
		e->fs_magic = 0;
		__builtin_memset(e->fs_type, 0, CX_FSTYPE_LEN);
	}
	/* header from direct loads (each helper call costs a return thunk here) */
	e->h.kind = CX_OPEN;
	e->h.pad = 0;
	e->h.pid = t->tgid;
	e->h.tid = t->pid;
	e->h.uid = t->cred->uid.val; /* as bpf_get_current_uid_gid() */
	e->h.ts = bpf_ktime_get_boot_ns();
	e->h.cgroup_id = a->cg;
	if (comm)
		__builtin_memcpy(e->h.comm, comm, CX_COMM_LEN);
	else
		bpf_get_current_comm(e->h.comm, sizeof(e->h.comm));
	e->ret = ret;
	e->syscall_nr = nr;
	e->open_flags = a->flags;
	__builtin_memset(e->pad, 0, sizeof(e->pad));
	__u64 size = offsetof(struct cx_open, path) + (e->path_len & (CX_MAX_PATH - 1));
	if (bpf_ringbuf_output(&events, e, size, rb_flags_every(&s->nevents)))
		count(CXC_DROP_OPEN);
	return 0;
}

/* ---------------------------------------------------------------- network */

static __always_inline void v4mapped(__u8 *dst, __u32 a)
{
	__builtin_memset(dst, 0, 10);
	dst[10] = 0xff;
	dst[11] = 0xff;
	__builtin_memcpy(dst + 12, &a, 4);
}

/* Addresses of `sk` from its owner's point of view. Returns 0 unless a TCP socket of AF_INET[6]. */
static __always_inline int sk_fill(struct sock *sk, struct cx_sock *e)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP || (family != AF_INET && family != AF_INET6))
		return 0;
	e->family = family;
	e->protocol = IPPROTO_TCP;
	e->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (family == AF_INET) {
		v4mapped(e->laddr, BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr));
		v4mapped(e->raddr, BPF_CORE_READ(sk, __sk_common.skc_daddr));
	} else {
		bpf_core_read(e->laddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(e->raddr, 16, &sk->__sk_common.skc_v6_daddr);
	}
	return 1;
}

static __always_inline struct sock *fd_sock(struct task_struct *t, long fd)
{
	struct file *f = fd_file(t, fd);
	if (!f)
		return 0;
	struct socket *so = BPF_CORE_READ(f, private_data);
	/* private_data is a socket only for socket files, whose socket points back at the file */
	if (!so || BPF_CORE_READ(so, file) != f)
		return 0;
	return BPF_CORE_READ(so, sk);
}

static __always_inline void sock_info_own(struct sock_info *si, struct cx_sock *e)
{
	si->cookie = e->sock_cookie;
	si->start_ts = e->h.ts;
	si->cgroup_id = e->h.cgroup_id;
	si->pid = e->h.pid;
	si->tid = e->h.tid;
	si->uid = e->h.uid;
	__builtin_memcpy(si->comm, e->h.comm, CX_COMM_LEN);
	si->lport = e->lport;
	si->rport = e->rport;
	si->family = e->family;
	__builtin_memcpy(si->laddr, e->laddr, 16);
	__builtin_memcpy(si->raddr, e->raddr, 16);
}

/* connect/accept: emit the event and remember the socket for its close. */
static __noinline void sock_event(__u8 kind, struct sock *sk, long ret, struct sockaddr *uaddr, __u64 cg)
{
	struct cx_sock e = {};
	if (!sk || !sk_fill(sk, &e))
		return;
	fill_hdr(&e.h, kind, cg);
	e.ret = ret;
	if (uaddr && e.rport == 0) {
		/* failed connect: the kernel cleared the destination; take what the process asked for */
		struct sockaddr_in6 sa = {};
		bpf_probe_read_user(&sa, sizeof(sa), uaddr);
		e.rport = bpf_ntohs(sa.sin6_port);
		if (sa.sin6_family == AF_INET)
			v4mapped(e.raddr, ((struct sockaddr_in *)&sa)->sin_addr.s_addr);
		else if (sa.sin6_family == AF_INET6)
			__builtin_memcpy(e.raddr, &sa.sin6_addr, 16);
	}
	if (kind == CX_ACCEPT || ret == 0 || ret == -EINPROGRESS) {
		__u64 key = (__u64)sk;
		e.sock_cookie = __sync_fetch_and_add(&next_cookie, 1) + 1;
		struct sock_info *si = bpf_map_lookup_elem(&socks, &key);
		if (si) { /* accept: established earlier, in the client's context */
			sock_info_own(si, &e);
		} else {
			struct sock_info fresh = { .est_ts = ret == 0 ? e.h.ts : 0 };
			sock_info_own(&fresh, &e);
			if (bpf_map_update_elem(&socks, &key, &fresh, BPF_ANY))
				count(CXC_DROP_SOCK_MAP_FULL);
		}
	}
	if (bpf_ringbuf_output(&events, &e, sizeof(e), rb_flags()))
		count(kind == CX_CONNECT ? CXC_DROP_CONNECT : CXC_DROP_ACCEPT);
}

/* Runs in whatever context changes the state (often the peer's): never uses `current`. */
SEC("tp/sock/inet_sock_set_state")
int inet_sock_set_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	__u64 key = (__u64)ctx->skaddr;
	if (ctx->newstate == TCP_ESTABLISHED) {
		struct sock_info *si = bpf_map_lookup_elem(&socks, &key);
		if (si) {
			si->est_ts = bpf_ktime_get_boot_ns(); /* a non-blocking connect completing */
		} else if (ctx->oldstate == TCP_SYN_RECV) {
			/* server side: remember when, accept() may claim it later */
			struct sock_info fresh = { .est_ts = bpf_ktime_get_boot_ns() };
			bpf_map_update_elem(&socks, &key, &fresh, BPF_NOEXIST);
		}
		return 0;
	}
	if (ctx->newstate != TCP_CLOSE)
		return 0;
	struct sock_info *si = bpf_map_lookup_elem(&socks, &key);
	if (!si)
		return 0;
	if (si->cookie) {
		struct tcp_sock *tp = (struct tcp_sock *)ctx->skaddr;
		struct cx_sock e = {};
		e.h.kind = CX_CLOSE;
		e.h.pid = si->pid;
		e.h.tid = si->tid;
		e.h.uid = si->uid;
		e.h.cgroup_id = si->cgroup_id;
		__builtin_memcpy(e.h.comm, si->comm, CX_COMM_LEN);
		e.h.ts = bpf_ktime_get_boot_ns();
		e.sock_cookie = si->cookie;
		e.protocol = IPPROTO_TCP;
		e.family = si->family;
		e.lport = si->lport;
		e.rport = si->rport;
		__builtin_memcpy(e.laddr, si->laddr, 16);
		__builtin_memcpy(e.raddr, si->raddr, 16);
		__u64 from = si->est_ts ? si->est_ts : si->start_ts;
		e.duration_ns = e.h.ts - from;
		e.bytes_sent = BPF_CORE_READ(tp, bytes_acked);
		e.bytes_received = BPF_CORE_READ(tp, bytes_received);
		if (bpf_ringbuf_output(&events, &e, sizeof(e), rb_flags()))
			count(CXC_DROP_CLOSE);
	}
	bpf_map_delete_elem(&socks, &key);
	return 0;
}

/* ---------------------------------------------------------------- opens and TCP, from sys_enter/exit */

static __always_inline int is_traced_nr(long id)
{
	if (id == nr_connect || id == nr_accept || id == nr_accept4)
		return 1;
	if (opens_mode == CX_OPENS_NONE)
		return 0;
	return id == nr_openat || id == nr_open || id == nr_openat2 || id == nr_creat;
}

#if defined(__TARGET_ARCH_x86)
#define SC_ARG0(r) ((r)->di)
#define SC_ARG1(r) ((r)->si)
#define SC_ARG2(r) ((r)->dx)
#elif defined(__TARGET_ARCH_arm64)
#define SC_ARG0(r) ((r)->orig_x0)
#define SC_ARG1(r) ((r)->regs[1])
#define SC_ARG2(r) ((r)->regs[2])
#endif

/* Saves what the exit needs (path pointer and flags, or fd and sockaddr) in the CPU's slot. */
static __always_inline void save_args(struct hot *h, long id, struct pt_regs *regs)
{
	if (!h || !regs)
		return;
	struct cx_args *a = &h->a;
	a->cg = h->cgroup_id;
	a->flags = 0;
	if (id == nr_openat) {
		a->ptr = SC_ARG1(regs);
		a->flags = SC_ARG2(regs);
	} else if (id == nr_open) {
		a->ptr = SC_ARG0(regs);
		a->flags = SC_ARG1(regs);
	} else if (id == nr_creat) {
		a->ptr = SC_ARG0(regs);
		a->flags = O_CREAT | O_WRONLY | O_TRUNC;
	} else if (id == nr_openat2) {
		struct open_how how = {};
		a->ptr = SC_ARG1(regs);
		bpf_probe_read_user(&how, sizeof(how.flags), (void *)SC_ARG2(regs));
		a->flags = (__u32)how.flags;
	} else if (id == nr_connect) {
		a->fd = SC_ARG0(regs);
		a->ptr = SC_ARG1(regs);
		a->len = SC_ARG2(regs);
	}
}

static __always_inline void args_exit(struct task_struct *t, struct cx_args *a, long nr, long ret, const char *comm)
{
	if (!a)
		return;
	if (nr == nr_connect) {
		sock_event(CX_CONNECT, fd_sock(t, a->fd), ret, (struct sockaddr *)a->ptr, a->cg);
	} else if (nr == nr_accept || nr == nr_accept4) {
		/* failed accepts (EAGAIN on non-blocking listeners) are noise */
		if (ret >= 0)
			sock_event(CX_ACCEPT, fd_sock(t, ret), ret, 0, a->cg);
	} else {
		exit_open(t, a, nr, ret, comm);
	}
}

/* ---------------------------------------------------------------- syscalls */

/* Off the hot path now; atomic anyway, so that no writer of a per-CPU value can lose an add. */
static __always_inline void sc_val_add(struct cx_sc_val *v, __u64 c, __u64 e, __u64 d)
{
	if (c)
		__sync_fetch_and_add(&v->count, c);
	if (e)
		__sync_fetch_and_add(&v->errors, e);
	if (d)
		__sync_fetch_and_add(&v->denied, d);
}

/* Adds to the hash `syscalls`; comm = the map-held comm of the key's task, or 0 for current's. */
static __noinline void sc_add_comm(struct cx_sc_key *key, __u64 c, __u64 e, __u64 d, const char *comm)
{
	if (!key)
		return;
	struct cx_sc_val *v = bpf_map_lookup_elem(&syscalls, key);
	if (v) {
		sc_val_add(v, c, e, d);
		return;
	}
	struct cx_sc_val init = { .count = c, .errors = e, .denied = d };
	if (comm)
		bpf_probe_read_kernel(init.comm, sizeof(init.comm), comm);
	else
		bpf_get_current_comm(init.comm, sizeof(init.comm));
	if (!bpf_map_update_elem(&syscalls, key, &init, BPF_NOEXIST))
		return;
	v = bpf_map_lookup_elem(&syscalls, key); /* created meanwhile by a nested update */
	if (v) {
		sc_val_add(v, c, e, d);
		return;
	}
	count(CXC_DROP_SYSCALL_MAP_FULL);
}

#define PEND_VALID (1u << 31)
#define PEND_NR_MASK 0x0fffffff

static __always_inline __u32 cnt_key(long nr, __u8 compat, __u8 filtered)
{
	return PEND_VALID | ((__u32)filtered << 30) | ((__u32)compat << 29) | (__u32)nr;
}

static __always_inline void key_fill(struct cx_sc_key *key, __u32 k, __u64 cg, __u32 pid, __u32 tid, __u8 ep,
				     __u32 xgen)
{
	key->xgen = xgen;
	key->cgroup_id = cg;
	key->pid = pid;
	key->tid = tid;
	key->syscall_nr = k & PEND_NR_MASK;
	key->epoch = ep;
	key->compat = (k >> 29) & 1;
	key->filtered = (k >> 30) & 1;
}

/*
 * The `in` word (syscall in flight): IN_VALID | IN_ARGS (arguments saved in the slot's `a`) |
 * counter index << 58 | (tid & 0x3ffffff) << 32 | counter key. The tid bits keep an exit on
 * another CPU from clearing the mark of the slot's next owner.
 */
#define IN_VALID (1ULL << 63)
#define IN_ARGS (1ULL << 62)
static __always_inline __u64 in_word(__u32 idx, __u32 tid, __u32 k)
{
	return IN_VALID | (__u64)(idx & (HOT_SLOTS - 1)) << 58 | (__u64)(tid & 0x3ffffff) << 32 | k;
}

static __always_inline int in_matches(__u64 in, __u32 tid, long nr)
{
	return (in & IN_VALID) && ((in >> 32) & 0x3ffffff) == (tid & 0x3ffffff) && (long)(in & PEND_NR_MASK) == nr;
}

/* Moves the slot's counts into the hash (under the slot's epoch) and frees its counters. */
static __noinline void hot_flush(struct hot *h)
{
	if (!h)
		return;
	struct cx_sc_key key = {};
	for (int i = 0; i < HOT_SLOTS; i++) {
		struct hot_cnt *c = &h->c[i];
		__u32 k = c->key;
		if (!k)
			continue;
		if (c->count || c->errors) {
			key_fill(&key, k, h->cgroup_id, h->pid, h->tid, h->ep, h->xgen);
			sc_add_comm(&key, c->count, c->errors, 0, h->comm);
		}
		c->key = 0;
		c->count = 0;
		c->errors = 0;
	}
}

/*
 * The slot changes hands (or its epoch/verdict is stale): keep the previous owner's syscall in
 * flight findable by its exit (`inflight`), flush its counts, then fill the slot from `t`.
 * Runs on the slot's CPU with preemption off; the only concurrent writer is an exit of the old
 * owner on another CPU clearing `in` (cmpxchg) or releasing the slot (`regs`, cmpxchg).
 */
static __noinline void hot_take(struct hot *h, struct pt_regs *regs)
{
	struct task_struct *t = bpf_get_current_task_btf();
	if (!h)
		return;
	__u64 m = h->in;
	if (m) {
		/* a released owner (exec, exit, moved to another CPU) has no call in flight here */
		if (h->task != (__u64)t && h->regs) {
			__u32 tid = h->tid;
			struct inflight_v v = { .in = m, .a = h->a };
			v.a.cg = h->cgroup_id;
			if (bpf_map_update_elem(&inflight, &tid, &v, BPF_ANY))
				count(CXC_DROP_INFLIGHT_MAP_FULL); /* its exit may look like a denial */
			if (__sync_val_compare_and_swap(&h->in, m, 0) != m)
				bpf_map_delete_elem(&inflight, &tid); /* its exit took it meanwhile */
		} else {
			h->in = 0;
		}
	}
	hot_flush(h);
	__u64 pt = bpf_get_current_pid_tgid();
	struct task_ctx *tc = bpf_task_storage_get(&task_ctx, t, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	void *cset = t->cgroups;
	__u32 gen = verdict_gen;
	__u64 cg;
	__u8 wanted;
	if (tc && tc->cset == cset && tc->gen == gen) {
		cg = tc->cgroup_id;
		wanted = tc->wanted;
	} else {
		cg = bpf_get_current_cgroup_id();
		wanted = (pt >> 32) != self_tgid && cgroup_wanted(cg);
	}
	__u32 cpu = bpf_get_smp_processor_id();
	if (tc) {
		tc->cset = cset;
		tc->gen = gen;
		tc->cgroup_id = cg;
		tc->wanted = wanted;
		if (tc->has_hot && tc->hot_cpu != cpu) {
			/* one slot per task: give up the one on the CPU the task came from */
			__u32 zero = 0;
			struct hot *o = bpf_map_lookup_percpu_elem(&hot, &zero, tc->hot_cpu);
			if (o && o->task == (__u64)t)
				__sync_val_compare_and_swap(&o->regs, tc->regs, 0);
		}
		tc->hot_cpu = cpu;
		tc->has_hot = 1;
		tc->regs = (__u64)regs;
	}
	h->cset = (__u64)cset;
	h->gen = gen;
	h->cgroup_id = cg;
	h->wanted = wanted;
	h->pid = pt >> 32;
	h->tid = (__u32)pt;
	h->ep = epoch & 1;
	h->xgen = tc ? tc->xgen : 0;
	bpf_get_current_comm(h->comm, sizeof(h->comm));
	h->task = (__u64)t;
	/* without task storage there is no way to find the slot from another CPU: no fast path */
	h->regs = tc ? (__u64)regs : 0;
}

/* A counter index is taken by another syscall: flush it and reuse it. */
static __noinline void hot_replace(struct hot *h, __u32 idx, __u32 k)
{
	if (!h)
		return;
	struct hot_cnt *c = &h->c[idx & (HOT_SLOTS - 1)];
	if (c->key && (c->count || c->errors)) {
		struct cx_sc_key key = {};
		key_fill(&key, c->key, h->cgroup_id, h->pid, h->tid, h->ep, h->xgen);
		sc_add_comm(&key, c->count, c->errors, 0, h->comm);
	}
	c->key = k;
	c->count = 0;
	c->errors = 0;
}

/* Thread exit or exec: flush the thread's counts and give up its slot. */
static __noinline void hot_release(struct task_struct *t)
{
	if (!t)
		return;
	__u32 zero = 0;
	struct hot *h = bpf_map_lookup_elem(&hot, &zero);
	if (h && h->task == (__u64)t && h->regs) {
		h->in = 0;
		hot_flush(h);
		h->regs = 0;
	} else {
		/* the slot is on another CPU: release it there, its counts are flushed by the next
		 * task taking it or by the next read */
		struct task_ctx *tc = bpf_task_storage_get(&task_ctx, t, 0, 0);
		if (tc && tc->has_hot) {
			struct hot *o = bpf_map_lookup_percpu_elem(&hot, &zero, tc->hot_cpu);
			if (o && o->task == (__u64)t)
				__sync_val_compare_and_swap(&o->regs, tc->regs, 0);
		}
	}
	__u32 tid = t->pid;
	bpf_map_delete_elem(&inflight, &tid);
}

/* Calls with a number outside the counters' range: straight into the hash. */
static __noinline void sc_add_odd(struct hot *h, long id, __u8 compat, __u8 filtered)
{
	if (!h)
		return;
	struct cx_sc_key key = {};
	key.cgroup_id = h->cgroup_id;
	key.pid = h->pid;
	key.tid = h->tid;
	key.syscall_nr = id;
	key.epoch = h->ep;
	key.compat = compat;
	key.filtered = filtered;
	key.xgen = h->xgen;
	sc_add_comm(&key, 1, 0, 0, h->comm);
}

/*
 * The hottest path: every syscall of every task on the host. When the CPU's hot slot already
 * belongs to this task (same css_set, verdict generation and epoch), a call costs a per-CPU
 * array lookup, a few loads and an increment; no helper call, no atomic, no hash.
 */
SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
{
	__u32 zero = 0;
	struct hot *h = bpf_map_lookup_elem(&hot, &zero);
	if (!h)
		return 0;
	/* h->task is current once regs match: read it with direct loads, no helper call */
	struct task_struct *t = CAST(struct task_struct, (void *)h->task);
	if (h->regs != (__u64)regs || h->cset != (__u64)t->cgroups || h->gen != verdict_gen || h->ep != (epoch & 1)) {
		hot_take(h, regs);
		t = CAST(struct task_struct, (void *)h->task);
		if (!h->regs) { /* no task storage: count without the slot */
			if (h->wanted)
				sc_add_odd(h, id, task_compat(t), task_filtered(t));
			return 0;
		}
	}
	if (!h->wanted)
		return 0;
	/* counted at entry: exit/exit_group never reach sys_exit */
	__u8 compat = task_compat(t);
	__u8 filtered = task_filtered(t);
	if (id < 0 || id > PEND_NR_MASK) {
		sc_add_odd(h, id, compat, filtered);
		h->in = 0;
		return 0;
	}
	__u32 k = cnt_key(id, compat, filtered);
	__u32 idx = id & (HOT_SLOTS - 1);
	struct hot_cnt *c = &h->c[idx];
	if (c->key != k)
		hot_replace(h, idx, k);
	c->count++;
	__u64 in = in_word(idx, h->tid, k);
	/*
	 * Opens and TCP connect/accept are handled here rather than on their own syscalls:*
	 * tracepoints: those are perf events whose handlers run on every syscall of the host
	 * (+80 ns per call measured), these two programs run anyway.
	 */
	if (!compat && is_traced_nr(id)) {
		save_args(h, id, regs);
		in |= IN_ARGS;
	}
	h->in = in;
	return 0;
}

static __always_inline long regs_syscall_nr(struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_x86)
	return regs->orig_ax;
#elif defined(__TARGET_ARCH_arm64)
	return regs->syscallno;
#else
	return -1;
#endif
}

/* The exit of a call entered through sys_enter: errors, and the open/connect/accept events.
 * h = this CPU's slot when the task still owns it, else 0 and `a` carries the call's cgroup. */
static __always_inline void exit_entered(struct hot *h, __u64 in, long nr, long ret, struct cx_args *a, __u32 xgen)
{
	if (!a)
		return;
	if (ret < 0) {
		__u32 idx = (in >> 58) & (HOT_SLOTS - 1);
		if (h && h->c[idx].key == (__u32)in) {
			h->c[idx].errors++;
		} else {
			__u64 pt = bpf_get_current_pid_tgid();
			struct cx_sc_key key = {};
			key_fill(&key, (__u32)in, h ? h->cgroup_id : a->cg, pt >> 32, (__u32)pt, epoch & 1,
				 h ? h->xgen : xgen);
			sc_add_comm(&key, 0, 1, 0, 0);
		}
	}
	if (in & IN_ARGS) /* with the slot: current is its owner, read by direct loads */
		args_exit(h ? CAST(struct task_struct, (void *)h->task) : bpf_get_current_task_btf(), a, nr, ret,
			  h ? h->comm : 0);
}

/* Not this CPU's slot owner (it slept or moved): find the mark, or decide it was denied. */
static __noinline int exit_slow(long nr, long ret)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct task_ctx *tc = bpf_task_storage_get(&task_ctx, t, 0, 0);
	/*
	 * A task without storage was already inside a syscall when we attached (storage is created
	 * at fork and when a task first takes a slot): nothing to pair, not a denial.
	 */
	if (!tc)
		return 0;
	/* not recorded: no mark to find (only recorded calls set one), no denial to count */
	if (!tc->wanted && tc->gen == verdict_gen && tc->cset == t->cgroups)
		return 0;
	__u32 tid = t->pid;
	__u32 zero = 0;
	if (tc->has_hot) {
		struct hot *o = bpf_map_lookup_percpu_elem(&hot, &zero, tc->hot_cpu);
		if (o && o->task == (__u64)t && o->regs) {
			__u64 m = o->in;
			if (in_matches(m, tid, nr)) {
				/* copied before the mark is taken: after it, the slot may change hands */
				struct cx_args a = o->a;
				a.cg = o->cgroup_id;
				if (__sync_val_compare_and_swap(&o->in, m, 0) == m) {
					/* errors to the hash: the slot may be another CPU's */
					exit_entered(0, m, nr, ret, &a, tc->xgen);
					return 0;
				}
			}
		}
	}
	struct inflight_v *v = bpf_map_lookup_elem(&inflight, &tid);
	if (v) {
		struct inflight_v c = *v;
		bpf_map_delete_elem(&inflight, &tid);
		if (in_matches(c.in, tid, nr)) {
			exit_entered(0, c.in, nr, ret, &c.a, tc->xgen);
			return 0;
		}
	}
	/*
	 * Reached sys_exit without sys_enter: seccomp stopped it (RET_ERRNO/RET_TRACE/RET_TRAP), or
	 * it is a fork child's first return (ret 0). Only a task under a filter can be denied.
	 */
	if (ret >= 0 || !task_filtered(t) || is_self())
		return 0;
	__u64 cg = bpf_get_current_cgroup_id();
	if (!cgroup_wanted(cg))
		return 0;
	__u64 pt = bpf_get_current_pid_tgid();
	struct cx_sc_key key = {};
	key.cgroup_id = cg;
	key.pid = pt >> 32;
	key.tid = (__u32)pt;
	key.syscall_nr = nr;
	key.denied_errno = -ret;
	key.epoch = epoch & 1;
	key.compat = task_compat(t);
	key.filtered = 1;
	key.xgen = tc->xgen;
	sc_add_comm(&key, 0, 0, 1, 0);
	return 0;
}

/*
 * An exit with no syscall number: rt_sigreturn restored the interrupted call's registers, with
 * the number set to -1 (no restart) and the result it had (often -EINTR); or syscall(-1), or a
 * tracer skipping a call. Not the exit of a call seccomp stopped (a denial keeps its number):
 * never counted as an error or a denial, counted in syscall.sigreturn_exit_skipped.
 */
static __noinline int exit_without_nr(struct hot *h, struct pt_regs *regs)
{
	if (!h)
		return 0;
	__u8 wanted = 0;
	if (h->regs == (__u64)regs) {
		h->in = 0; /* the rt_sigreturn's mark */
		wanted = h->wanted && h->gen == verdict_gen;
	} else {
		struct task_struct *t = bpf_get_current_task_btf();
		struct task_ctx *tc = bpf_task_storage_get(&task_ctx, t, 0, 0);
		wanted = tc && tc->wanted && tc->gen == verdict_gen;
	}
	if (wanted)
		count(CXC_SIGRETURN_EXIT_SKIPPED);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	__u32 zero = 0;
	struct hot *h = bpf_map_lookup_elem(&hot, &zero);
	if (!h)
		return 0;
	long nr = regs_syscall_nr(regs);
	if (nr == -1)
		return exit_without_nr(h, regs);
	if (h->regs == (__u64)regs) {
		__u64 in = h->in;
		if ((in & IN_VALID) && (long)(in & PEND_NR_MASK) == nr) {
			h->in = 0;
			if (nr == nr_prctl && SC_ARG0(regs) == PR_SET_NAME) {
				h->regs = 0; /* the slot's comm is stale: take it again at the next call */
				new_program(bpf_get_current_task_btf());
			}
			if (ret < 0 || (in & IN_ARGS))
				exit_entered(h, in, nr, ret, &h->a, h->xgen);
			return 0;
		}
		if (!h->wanted && h->gen == verdict_gen)
			return 0; /* not recorded */
	}
	return exit_slow(nr, ret);
}
