/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * Process tree: exec (with argv), fork and exit events; exec starts a new program generation.
 * Part of bpf/contxray.bpf.c (one object, one skeleton): included there, after the maps and the
 * common helpers; not a standalone header.
 */
#ifndef CX_PROCESS_TREE_BPF_H
#define CX_PROCESS_TREE_BPF_H

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

#endif /* CX_PROCESS_TREE_BPF_H */
