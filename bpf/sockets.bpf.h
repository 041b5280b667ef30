/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * TCP: connect/accept events from the syscalls, close events from inet_sock_set_state.
 * Part of bpf/contxray.bpf.c (one object, one skeleton): included there, after the maps and the
 * common helpers; not a standalone header.
 */
#ifndef CX_SOCKETS_BPF_H
#define CX_SOCKETS_BPF_H

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

#endif /* CX_SOCKETS_BPF_H */
