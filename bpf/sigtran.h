//go:build ignore

/* Shared packet parsing for the sigprobe socket programs.
 *
 * Both programs are BPF_PROG_TYPE_SOCKET_FILTER and see an skb whose data
 * pointer differs by context: a socket filter on a packet socket starts at
 * the MAC header, a PACKET_FANOUT_EBPF program at the network header, and
 * BPF_PROG_TEST_RUN at the network header. So every load is relative to the
 * headers the kernel recorded (bpf_skb_load_bytes_relative), which only sees
 * the linear part of the skb; when that fails the load is retried with
 * bpf_skb_load_bytes at DATA_TO_NET, the network header's offset from
 * skb->data on the live path, which also reads paged data.
 *
 * The kernel removes the outer VLAN tag into skb->vlan_tci before packet
 * sockets see a frame and moves the MAC addresses up, so the ethertype at
 * MAC+12 is followed directly by the network header. BPF_PROG_TEST_RUN does
 * not untag. Either way the first ethertype sits at MAC+12 and any tag still
 * in the frame starts at NET+0, which is what parse_sctp walks.
 */
#ifndef SIGPROBE_SIGTRAN_H
#define SIGPROBE_SIGTRAN_H

#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#ifndef DATA_TO_NET
#error "define DATA_TO_NET before including sigtran.h"
#endif

#define ETH_TYPE_IPV4 0x0800
#define ETH_TYPE_IPV6 0x86DD
#define ETH_TYPE_VLAN 0x8100
#define ETH_TYPE_QINQ 0x88A8
#define PROTO_SCTP 132
#define CHUNK_DATA 0

enum parse_result {
	PARSE_OTHER = 0,    /* not SCTP, or too short to tell */
	PARSE_SCTP = 1,     /* SCTP common header read; ports valid */
	PARSE_FRAGMENT = 2, /* non-first IPv4 fragment of SCTP: no ports */
};

struct flow {
	__u32 saddr[4]; /* IPv4 uses saddr[0] only */
	__u32 daddr[4];
	__u16 sport; /* host order */
	__u16 dport;
	__u32 l4; /* SCTP header offset from the network header */
};

static __always_inline int load_net(struct __sk_buff *skb, __u32 off, void *to, __u32 len)
{
	if (bpf_skb_load_bytes_relative(skb, off, to, len, BPF_HDR_START_NET) == 0)
		return 0;
	return bpf_skb_load_bytes(skb, off + DATA_TO_NET, to, len);
}

static __always_inline int parse_sctp(struct __sk_buff *skb, struct flow *f)
{
	__u16 proto;
	__u32 off = 0; /* from the network header */

	if (bpf_skb_load_bytes_relative(skb, 12, &proto, 2, BPF_HDR_START_MAC) < 0)
		return PARSE_OTHER;
	proto = bpf_ntohs(proto);
#pragma unroll
	for (int i = 0; i < 2; i++) {
		if (proto != ETH_TYPE_VLAN && proto != ETH_TYPE_QINQ)
			break;
		if (load_net(skb, off + 2, &proto, 2) < 0)
			return PARSE_OTHER;
		proto = bpf_ntohs(proto);
		off += 4;
	}

	__u32 l4;
	if (proto == ETH_TYPE_IPV4) {
		__u8 ip[20];
		if (load_net(skb, off, ip, sizeof(ip)) < 0)
			return PARSE_OTHER;
		__u32 ihl = ip[0] & 0x0f;
		if ((ip[0] >> 4) != 4 || ihl < 5 || ip[9] != PROTO_SCTP)
			return PARSE_OTHER;
		__builtin_memcpy(&f->saddr[0], &ip[12], 4);
		__builtin_memcpy(&f->daddr[0], &ip[16], 4);
		if (((ip[6] & 0x1f) | ip[7]) != 0)
			return PARSE_FRAGMENT;
		l4 = off + ihl * 4;
	} else if (proto == ETH_TYPE_IPV6) {
		__u8 ip6[40];
		if (load_net(skb, off, ip6, sizeof(ip6)) < 0)
			return PARSE_OTHER;
		if ((ip6[0] >> 4) != 6 || ip6[6] != PROTO_SCTP)
			return PARSE_OTHER;
		__builtin_memcpy(f->saddr, &ip6[8], 16);
		__builtin_memcpy(f->daddr, &ip6[24], 16);
		l4 = off + 40;
	} else {
		return PARSE_OTHER;
	}

	/* SCTP common header (12 bytes), then the first chunk. */
	__u16 ports[2];
	if (load_net(skb, l4, ports, sizeof(ports)) < 0)
		return PARSE_OTHER;
	f->sport = bpf_ntohs(ports[0]);
	f->dport = bpf_ntohs(ports[1]);
	f->l4 = l4;
	return PARSE_SCTP;
}

/* first_data_ppid reads the PPID (host order) of the first chunk if it is
 * DATA (type, flags, length, TSN, stream id, stream seq, PPID). */
static __always_inline int first_data_ppid(struct __sk_buff *skb, const struct flow *f, __u32 *ppid)
{
	__u8 chunk[16];

	if (load_net(skb, f->l4 + 12, chunk, sizeof(chunk)) < 0 || chunk[0] != CHUNK_DATA)
		return -1;
	__builtin_memcpy(ppid, &chunk[12], 4);
	*ppid = bpf_ntohl(*ppid);
	return 0;
}

#endif
