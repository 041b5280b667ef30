/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * Syscall aggregates: the per-CPU hot slot, the hash `syscalls`, sys_enter and sys_exit (denials, errors, exits without a number) and the arguments opens/connect/accept need.
 * Part of bpf/contxray.bpf.c (one object, one skeleton): included there, after the maps and the
 * common helpers; not a standalone header.
 */
#ifndef CX_HOT_SLOT_BPF_H
#define CX_HOT_SLOT_BPF_H

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

#endif /* CX_HOT_SLOT_BPF_H */
