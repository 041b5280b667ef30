/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * File opens: fd to file, the dentry/mount walk that resolves a path, the open event.
 * Part of bpf/contxray.bpf.c (one object, one skeleton): included there, after the maps and the
 * common helpers; not a standalone header.
 */
#ifndef CX_PATH_WALK_BPF_H
#define CX_PATH_WALK_BPF_H

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

#endif /* CX_PATH_WALK_BPF_H */
