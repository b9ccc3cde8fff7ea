//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* sigtran_filter: socket filter that keeps SIGTRAN and drops everything else.
 *
 * Passes SCTP (over IPv4 or IPv6, behind up to two VLAN tags) whose source or
 * destination port is in the ports map, or whose first chunk is DATA with a
 * PPID in the ppids map; passes non-first IPv4 fragments of SCTP because they
 * carry no ports. Counts passed and dropped packets per CPU.
 */

/* A socket filter on a packet socket sees skb->data at the MAC header, and
 * the kernel has removed the outer VLAN tag, so the network header is 14
 * bytes in. */
#define DATA_TO_NET 14
#include "sigtran.h"

enum { COUNTER_PASSED = 0, COUNTER_DROPPED = 1, COUNTER_MAX };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, COUNTER_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* SCTP ports (host order) to keep; the loader fills it. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u16);
	__type(value, __u8);
} ports SEC(".maps");

/* DATA chunk payload protocol identifiers (host order) to keep. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u8);
} ppids SEC(".maps");

static __always_inline void count(__u32 key)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &key);
	if (v)
		*v += 1;
}

static __always_inline int keep(struct __sk_buff *skb)
{
	struct flow f = {};

	switch (parse_sctp(skb, &f)) {
	case PARSE_FRAGMENT:
		return 1;
	case PARSE_SCTP: {
		if (bpf_map_lookup_elem(&ports, &f.sport) || bpf_map_lookup_elem(&ports, &f.dport))
			return 1;
		__u32 ppid;
		if (first_data_ppid(skb, &f, &ppid) == 0 && bpf_map_lookup_elem(&ppids, &ppid))
			return 1;
		return 0;
	}
	default:
		return 0;
	}
}

SEC("socket")
int sigtran_filter(struct __sk_buff *skb)
{
	if (keep(skb)) {
		count(COUNTER_PASSED);
		return skb->len;
	}
	count(COUNTER_DROPPED);
	return 0;
}

char _license[] SEC("license") = "Dual BSD/GPL";
