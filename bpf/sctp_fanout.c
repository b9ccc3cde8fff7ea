//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* sctp_fanout: PACKET_FANOUT_EBPF program that steers each SCTP association
 * to one socket of the fanout group.
 *
 * Returns a hash of (address, port) of both ends, ordered so that both
 * directions give the same value, modulo the worker count in fanout_config
 * (the kernel takes the result modulo the group size again). Non-first IPv4
 * fragments hash on the addresses alone; non-SCTP packets go to socket 0.
 */

/* A fanout program sees skb->data at the network header. */
#define DATA_TO_NET 0
#include "sigtran.h"

/* Key 0: number of workers in the group (0 = leave the modulo to the kernel). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} fanout_config SEC(".maps");

static __always_inline __u32 rotl(__u32 x, int r)
{
	return (x << r) | (x >> (32 - r));
}

/* One round and the finaliser of MurmurHash3 (x86_32). */
static __always_inline __u32 mix(__u32 h, __u32 k)
{
	k *= 0xcc9e2d51;
	k = rotl(k, 15);
	k *= 0x1b873593;
	h ^= k;
	h = rotl(h, 13);
	return h * 5 + 0xe6546b64;
}

static __always_inline __u32 fmix(__u32 h)
{
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

/* Is (a, ap) ordered before (b, bp)? */
static __always_inline int before(const __u32 *a, __u16 ap, const __u32 *b, __u16 bp)
{
#pragma unroll
	for (int i = 0; i < 4; i++) {
		if (a[i] != b[i])
			return a[i] < b[i];
	}
	return ap <= bp;
}

SEC("socket")
int sctp_fanout(struct __sk_buff *skb)
{
	struct flow f = {};
	int r = parse_sctp(skb, &f);

	if (r == PARSE_OTHER)
		return 0;
	if (r == PARSE_FRAGMENT)
		f.sport = f.dport = 0;

	const __u32 *lo = f.saddr, *hi = f.daddr;
	__u16 lop = f.sport, hip = f.dport;
	if (!before(f.saddr, f.sport, f.daddr, f.dport)) {
		lo = f.daddr;
		hi = f.saddr;
		lop = f.dport;
		hip = f.sport;
	}

	__u32 h = 0x5c7a9b1d;
#pragma unroll
	for (int i = 0; i < 4; i++)
		h = mix(h, lo[i]);
#pragma unroll
	for (int i = 0; i < 4; i++)
		h = mix(h, hi[i]);
	h = mix(h, ((__u32)lop << 16) | hip);
	h = fmix(h ^ 36);

	__u32 key = 0;
	__u32 *n = bpf_map_lookup_elem(&fanout_config, &key);
	if (n && *n)
		h %= *n;
	return h;
}

char _license[] SEC("license") = "Dual BSD/GPL";
