//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* sctp_fanout: PACKET_FANOUT_EBPF program that steers each SCTP association
 * to one socket of the fanout group, over all its paths.
 *
 * A multi-homed association sends over several address pairs, so the
 * worker cannot be a function of the addresses alone. Each direction of an
 * association carries one verification tag (the receiver's) on every path:
 * assoc_tags maps (tag, source port, destination port) to the worker hash of
 * the path where the association was first seen. INIT and INIT ACK name the
 * tags to come; a tag not in the map gets the hash of its packet's path,
 * which is the same both ways (addresses and ports ordered), so the two
 * directions of a path agree without having met. Later packets of the tag,
 * on any path, take the stored hash; should the two directions' first
 * packets have come over different paths, the first packet of one on the
 * other's path joins them (path_tags). The result is the hash modulo the
 * worker count in fanout_config (the kernel takes it modulo the group size
 * again). Non-first IPv4 fragments hash on the addresses alone; non-SCTP
 * packets go to socket 0.
 */

/* A fanout program sees skb->data at the network header. */
#define DATA_TO_NET 0
#include "sigtran.h"

#define CHUNK_INIT 1
#define CHUNK_INIT_ACK 2
#define CHUNK_ABORT 6
#define CHUNK_SHUTDOWN_COMPLETE 14

/* Key 0: number of workers in the group (0 = leave the modulo to the kernel). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} fanout_config SEC(".maps");

struct tag_key {
	__u32 tag; /* host order */
	__u16 sport;
	__u16 dport;
};

/* (tag, ports) of one direction -> the association's path hash. LRU: an
 * association idle long enough to be evicted is learned again from its next
 * packet. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct tag_key);
	__type(value, __u32);
} assoc_tags SEC(".maps");

/* (path hash, direction) -> the tag first seen there in that direction, for
 * joining an association's directions first seen on different paths. */
struct path_key {
	__u32 path;
	__u32 dir; /* 1: the source is the path's higher endpoint */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct path_key);
	__type(value, __u32);
} path_tags SEC(".maps");

/* The SCTP common header after the ports, and the first chunk's header. */
struct sctp_head {
	__u32 vtag;
	__u32 checksum;
	__u8 type;
	__u8 flags;
	__u16 length;
};

/* init_tag reads the Initiate Tag of an INIT or INIT ACK first chunk (host
 * order), 0 if the packet is too short. */
static __always_inline __u32 init_tag(struct __sk_buff *skb, const struct flow *f)
{
	__u32 tag;
	if (load_net(skb, f->l4 + 16, &tag, sizeof(tag)) < 0)
		return 0;
	return bpf_ntohl(tag);
}

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

/* by_tag returns the hash of the association whose tag the packet carries,
 * path being the hash of the packet's own path and dir whether its source
 * is the path's higher endpoint; it learns the tags INIT and INIT ACK name
 * and the tags first seen, and joins the two directions of an association
 * whose first packets came over different paths. */
static __always_inline __u32 by_tag(struct __sk_buff *skb, const struct flow *f, __u32 path, __u32 dir)
{
	struct sctp_head sh;
	if (load_net(skb, f->l4 + 4, &sh, sizeof(sh)) < 0)
		return path;
	__u32 vtag = bpf_ntohl(sh.vtag);
	if (sh.type == CHUNK_INIT) {
		/* A new association starts on this path; packets toward the
		 * initiator will carry its Initiate Tag. */
		struct tag_key back = {init_tag(skb, f), f->dport, f->sport};
		if (back.tag)
			bpf_map_update_elem(&assoc_tags, &back, &path, BPF_ANY);
		return path;
	}
	if (vtag == 0)
		return path;
	if ((sh.type == CHUNK_ABORT || sh.type == CHUNK_SHUTDOWN_COMPLETE) && (sh.flags & 1)) {
		/* T bit: the sender's own tag, the one packets toward it carry. */
		struct tag_key own = {vtag, f->dport, f->sport};
		__u32 *v = bpf_map_lookup_elem(&assoc_tags, &own);
		return v ? *v : path;
	}

	struct tag_key k = {vtag, f->sport, f->dport};
	__u32 h = path;
	__u32 *v = bpf_map_lookup_elem(&assoc_tags, &k);
	if (!v) {
		if (bpf_map_update_elem(&assoc_tags, &k, &path, BPF_NOEXIST) == 0) {
			struct path_key pk = {path, dir};
			bpf_map_update_elem(&path_tags, &pk, &vtag, BPF_ANY);
		} else {
			v = bpf_map_lookup_elem(&assoc_tags, &k); /* another CPU was first */
		}
	}
	if (v) {
		h = *v;
		if (h != path) {
			/* A further path of the association. Was the other direction
			 * first seen here, on its own? Then it belongs with this one. */
			struct path_key pk = {path, !dir};
			__u32 *other = bpf_map_lookup_elem(&path_tags, &pk);
			if (other) {
				struct tag_key ok = {*other, f->dport, f->sport};
				__u32 *ov = bpf_map_lookup_elem(&assoc_tags, &ok);
				if (ov && *ov == path)
					bpf_map_update_elem(&assoc_tags, &ok, &h, BPF_EXIST);
				bpf_map_delete_elem(&path_tags, &pk);
			}
		}
	}
	if (sh.type == CHUNK_INIT_ACK) {
		struct tag_key back = {init_tag(skb, f), f->dport, f->sport};
		if (back.tag)
			bpf_map_update_elem(&assoc_tags, &back, &h, BPF_ANY);
	}
	return h;
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
	/* An integer, not a pointer comparison: without CAP_PERFMON the
	 * verifier refuses those. */
	__u32 swapped = !before(f.saddr, f.sport, f.daddr, f.dport);
	if (swapped) {
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

	if (r == PARSE_SCTP)
		h = by_tag(skb, &f, h, swapped);

	__u32 key = 0;
	__u32 *n = bpf_map_lookup_elem(&fanout_config, &key);
	if (n && *n)
		h %= *n;
	return h;
}

char _license[] SEC("license") = "Dual BSD/GPL";
