// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The liveness classifier: on clsact ingress of a pod-facing host link it sees what the pod
 * sends, records each source address (IPv4, IPv6, ARP sender) in watch or strangers, and, on a
 * link with a link_sources entry in mode log or drop, checks the source against the link's
 * addresses (anti-spoofing): a mismatch is counted in spoofs and, in mode drop, dropped
 * (TC_ACT_SHOT).
 *
 * Everything else passes untouched with TC_ACT_UNSPEC, which lets the next tc filter decide as
 * if this one were not there (TC_ACT_OK would end classification and skip another CNI's
 * programs on the same hook); with no other filter the packet passes. Never dropped: a packet on
 * a link without an entry (or in mode off), frames that end before the source address, frames
 * that are neither IPv4, IPv6 nor Ethernet/IPv4 ARP (also those under two VLAN tags), and the
 * sources that are no one's address: :: (DAD), 0.0.0.0 (DHCP, ARP probes), fe80::/10 (link-local
 * IPv6) and v4-mapped IPv6 (::ffff:0:0/96, which every IPv6 receiver drops itself). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "maps.h"

/* Set before load. Off: sources not in watch are not recorded at all. */
const volatile __u8 track_strangers = 1;

struct vlan_tag {
    __be16 tci;
    __be16 proto;
};

/* ARP for Ethernet/IPv4 (RFC 826). <linux/if_arp.h> would pull in libc headers. */
#define ARP_HRD_ETHER 1
struct arp_eth_ipv4 {
    __be16 ar_hrd;
    __be16 ar_pro;
    __u8 ar_hln;
    __u8 ar_pln;
    __be16 ar_op;
    __u8 sha[ETH_ALEN];
    __u8 spa[4];
} __attribute__((packed));

enum verdict { SOURCE, IGNORED, TRUNCATED };

/* A parsed source; words for aligned 8-byte compares. */
union source {
    struct warren_addr addr;
    __u64 words[2];
};

static __always_inline void count(__u32 slot)
{
    __u64 *v = bpf_map_lookup_elem(&stats, &slot);
    if (v)
        *v += 1; /* per-CPU slot: no atomics needed */
}

static __always_inline void set_v4(struct warren_addr *a, __be32 v4)
{
    __builtin_memset(a->bytes, 0, 10);
    a->bytes[10] = 0xff;
    a->bytes[11] = 0xff;
    __builtin_memcpy(&a->bytes[12], &v4, 4);
}

/* Unspecified (0.0.0.0 in DHCP, ARP probes) is no one's address: skipped before any lookup. */
static __always_inline enum verdict v4_source(struct warren_addr *a, __be32 v4)
{
    if (v4 == 0)
        return IGNORED;
    set_v4(a, v4);
    return SOURCE;
}

static __always_inline enum verdict parse_source(struct __sk_buff *skb, struct warren_addr *a)
{
    void *data = (void *)(long)skb->data;
    void *end = (void *)(long)skb->data_end;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > end)
        return TRUNCATED;
    void *l3 = eth + 1;
    __be16 proto = eth->h_proto;
    if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
        struct vlan_tag *tag = l3;
        if ((void *)(tag + 1) > end)
            return TRUNCATED;
        proto = tag->proto;
        l3 = tag + 1;
    }
    if (proto == bpf_htons(ETH_P_IP)) {
        struct iphdr *ip = l3;
        if ((void *)(ip + 1) > end)
            return TRUNCATED;
        if (ip->version != 4)
            return IGNORED;
        return v4_source(a, ip->saddr);
    }
    if (proto == bpf_htons(ETH_P_IPV6)) {
        struct ipv6hdr *ip6 = l3;
        if ((void *)(ip6 + 1) > end)
            return TRUNCATED;
        if (ip6->version != 6)
            return IGNORED;
        __builtin_memcpy(a->bytes, &ip6->saddr, 16);
        __u64 hi;
        __u32 w2, w3;
        __builtin_memcpy(&hi, &a->bytes[0], 8);
        __builtin_memcpy(&w2, &a->bytes[8], 4);
        __builtin_memcpy(&w3, &a->bytes[12], 4);
        /* :: (DAD, MLD before an address) and ::ffff:0:0/96 (v4-mapped: never valid on the
         * wire, and it would alias the IPv4 key) are nobody's IPv6 allocation. */
        if (hi == 0 && ((w2 == 0 && w3 == 0) || w2 == bpf_htonl(0xffff)))
            return IGNORED;
        return SOURCE;
    }
    if (proto == bpf_htons(ETH_P_ARP)) {
        struct arp_eth_ipv4 *arp = l3;
        if ((void *)(arp + 1) > end)
            return TRUNCATED;
        if (arp->ar_hrd != bpf_htons(ARP_HRD_ETHER) || arp->ar_pro != bpf_htons(ETH_P_IP) ||
            arp->ar_hln != ETH_ALEN || arp->ar_pln != 4)
            return IGNORED;
        __be32 spa;
        __builtin_memcpy(&spa, arp->spa, 4);
        return v4_source(a, spa);
    }
    return IGNORED;
}

/* Addresses no IPAM hands out: link-local (fe80::/10; 169.254/16), loopback, multicast and
 * (v4) class E/broadcast. Checked only for strangers, after the watch lookup missed, so a
 * watched address is recorded whatever it is, and kernel-made link-local noise (router
 * solicitations, neighbour discovery) does not push real strangers out of the LRU. */
static __always_inline int never_allocated(const struct warren_addr *a)
{
    __u64 hi;
    __u32 w2, w3;
    __builtin_memcpy(&hi, &a->bytes[0], 8);
    __builtin_memcpy(&w2, &a->bytes[8], 4);
    __builtin_memcpy(&w3, &a->bytes[12], 4);
    if (hi == 0 && w2 == bpf_htonl(0xffff)) { /* ::ffff:a.b.c.d: an IPv4 source */
        __u8 v0 = a->bytes[12];
        return v0 == 127 || (v0 == 169 && a->bytes[13] == 254) || v0 >= 224;
    }
    __u8 b0 = a->bytes[0];
    if (b0 == 0xff) /* multicast */
        return 1;
    if (b0 == 0xfe && (a->bytes[1] & 0xc0) == 0x80) /* fe80::/10 */
        return 1;
    return hi == 0 && w2 == 0 && w3 == bpf_htonl(1); /* ::1 */
}

/* last_seen_ns is coarse time, which moves once per tick; reading it costs a helper call (and,
 * with AMD's SRSO mitigation, a costly return) on every packet, so it is read only when the tick
 * (jiffies, an inlined load) moved since the entry's last sighting. */
static __always_inline void record(struct warren_observation *o, __u32 ifindex, __u32 tick,
                                   __u64 packets, __u64 bytes)
{
    __sync_fetch_and_add(&o->packets, packets);
    __sync_fetch_and_add(&o->bytes, bytes);
    if (o->last_seen_tick != tick || o->last_seen_ns == 0) {
        o->last_seen_ns = bpf_ktime_get_coarse_ns();
        o->last_seen_tick = tick;
    }
    o->ifindex = ifindex;
    __u32 first = o->first_ifindex;
    if (first == 0) /* the first sighting ever; cmpxchg so two CPUs agree on which was first */
        first = __sync_val_compare_and_swap(&o->first_ifindex, 0, ifindex);
    if (first != 0 && first != ifindex && !(o->flags & WARREN_OBS_MULTI_LINK))
        __sync_fetch_and_or(&o->flags, WARREN_OBS_MULTI_LINK);
}

static __always_inline int batch_holds(const struct stranger_batch *b, const struct warren_addr *a)
{
    __u64 w0, w1;
    __builtin_memcpy(&w0, &a->bytes[0], 8);
    __builtin_memcpy(&w1, &a->bytes[8], 8);
    return b->words[0] == w0 && b->words[1] == w1;
}

/* Records a sighting of `packets` packets (the latest now) in strangers, inserting the source
 * on its first sighting. */
static __always_inline void stranger_sighting(const struct warren_addr *src, __u32 ifindex,
                                              __u32 tick, __u64 packets, __u64 bytes)
{
    struct warren_observation *o = bpf_map_lookup_elem(&strangers, src);
    if (o) {
        record(o, ifindex, tick, packets, bytes);
        return;
    }
    struct warren_observation fresh = {
        .last_seen_ns = bpf_ktime_get_coarse_ns(),
        .last_seen_tick = tick,
        .packets = packets,
        .bytes = bytes,
        .ifindex = ifindex,
        .first_ifindex = ifindex,
    };
    /* A racing insert for the same source on another CPU wins; losing one sighting of a
     * stranger costs nothing. */
    bpf_map_update_elem(&strangers, src, &fresh, BPF_NOEXIST);
}

/* A stranger's first packet on a CPU in a tick, or on another link, is written to strangers at
 * once (so the first sighting, last_seen_ns to the tick, ifindex and the multi-link flag are
 * what a write per packet would give); its further packets in that tick on that link only count
 * in this CPU's batch, and reach strangers with the CPU's next stranger packet. The stranger
 * path otherwise pays a second hash lookup per packet (after watch missed), which with SRSO's
 * Safe RET costs about 20 ns here. */
static __always_inline void record_stranger(const struct warren_addr *src, __u32 ifindex,
                                            __u32 tick, __u32 len)
{
    __u32 zero = 0;
    struct stranger_batch *b = bpf_map_lookup_elem(&stranger_batch, &zero);
    if (!b) {
        stranger_sighting(src, ifindex, tick, 1, len);
        return;
    }
    if (b->tick == tick && b->ifindex == ifindex && batch_holds(b, src)) {
        b->packets += 1; /* per-CPU: no atomics needed */
        b->bytes += len;
        return;
    }
    __u64 packets = 1, bytes = len;
    if (b->packets != 0) {
        if (batch_holds(b, src)) {
            packets += b->packets;
            bytes += b->bytes;
        } else {
            /* The batch's sightings were already written (last_seen_ns, ifindex): only counts. */
            struct warren_observation *old = bpf_map_lookup_elem(&strangers, &b->addr);
            if (old) {
                __sync_fetch_and_add(&old->packets, b->packets);
                __sync_fetch_and_add(&old->bytes, b->bytes);
            }
        }
    }
    stranger_sighting(src, ifindex, tick, packets, bytes);
    __builtin_memcpy(&b->words[0], &src->bytes[0], 8);
    __builtin_memcpy(&b->words[1], &src->bytes[8], 8);
    b->ifindex = ifindex;
    b->tick = tick;
    b->packets = 0;
    b->bytes = 0;
}

/* fe80::/10: neighbour and router discovery before (and beside) any allocated address. */
static __always_inline int link_local_v6(const struct warren_addr *a)
{
    return a->bytes[0] == 0xfe && (a->bytes[1] & 0xc0) == 0x80;
}

/* The source in `words` is one of the entry's addresses. */
static __always_inline int listed(const struct warren_link_sources *ls, __u64 w0, __u64 w1)
{
    __u32 n = ls->count;
#pragma unroll
    for (int i = 0; i < WARREN_LINK_ADDRS; i++) {
        /* Map values are 8-byte aligned and addrs starts at offset 8: two aligned loads. */
        const __u64 *a = (const __u64 *)ls->addrs[i].bytes;
        if ((__u32)i < n && a[0] == w0 && a[1] == w1)
            return 1;
    }
    return 0;
}

static __always_inline void add_spoof(struct warren_spoof *s, __u32 tick, __u64 len, __u64 dropped)
{
    __sync_fetch_and_add(&s->packets, 1);
    __sync_fetch_and_add(&s->bytes, len);
    if (dropped)
        __sync_fetch_and_add(&s->dropped, 1);
    if (s->last_seen_tick != tick || s->last_seen_ns == 0) {
        s->last_seen_ns = bpf_ktime_get_coarse_ns();
        s->last_seen_tick = tick;
    }
}

/* Counts a mismatching packet in spoofs[{ifindex, src}], inserting the pair on its first one. */
static __always_inline void record_spoof(const struct warren_addr *src, __u32 ifindex, __u32 tick,
                                         __u64 len, __u64 dropped)
{
    struct warren_spoof_key key = {.ifindex = ifindex, .pad = 0};
    __builtin_memcpy(&key.addr, src, sizeof key.addr);
    struct warren_spoof *s = bpf_map_lookup_elem(&spoofs, &key);
    if (s) {
        add_spoof(s, tick, len, dropped);
        return;
    }
    __u64 now = bpf_ktime_get_coarse_ns();
    struct warren_spoof fresh = {
        .first_seen_ns = now,
        .last_seen_ns = now,
        .packets = 1,
        .bytes = len,
        .dropped = dropped,
        .last_seen_tick = tick,
    };
    if (bpf_map_update_elem(&spoofs, &key, &fresh, BPF_NOEXIST) == 0)
        return;
    /* Another CPU inserted the pair first: count in its entry. */
    s = bpf_map_lookup_elem(&spoofs, &key);
    if (s)
        add_spoof(s, tick, len, dropped);
}

/* link_sources[ifindex] through this CPU's link_cache. The count is read before the hash
 * lookup and the agent bumps it after writing, so a slot filled across a change carries the old
 * count and is read again on the next packet. */
static __always_inline const struct warren_link_sources *link_entry(__u32 ifindex)
{
    __u32 zero = 0;
    const __u64 *genp = bpf_map_lookup_elem(&link_sources_gen, &zero);
    __u32 slot = ifindex & (WARREN_LINK_CACHE_SLOTS - 1);
    struct link_cache_slot *c = bpf_map_lookup_elem(&link_cache, &slot);
    if (!genp || !c)
        return bpf_map_lookup_elem(&link_sources, &ifindex);
    __u64 gen = *(volatile const __u64 *)genp;
    if (c->ifindex != ifindex || c->gen != gen) {
        const struct warren_link_sources *ls = bpf_map_lookup_elem(&link_sources, &ifindex);
        c->ifindex = ifindex;
        c->gen = gen;
        c->present = ls != 0;
        if (ls)
            __builtin_memcpy(&c->ls, ls, sizeof c->ls);
    }
    return c->present ? &c->ls : 0;
}

/* Anti-spoofing: the verdict on a packet from `src` arriving on `ifindex`. */
static __always_inline int check_source(const struct __sk_buff *skb, const union source *src,
                                        __u32 ifindex, __u32 tick)
{
    const struct warren_link_sources *ls = link_entry(ifindex);
    if (!ls)
        return TC_ACT_UNSPEC; /* not (yet) known to the agent: never dropped */
    __u32 mode = ls->mode;
    if (mode != WARREN_SPOOF_LOG && mode != WARREN_SPOOF_DROP)
        return TC_ACT_UNSPEC;
    if (listed(ls, src->words[0], src->words[1]) || link_local_v6(&src->addr))
        return TC_ACT_UNSPEC;
    __u64 drop = mode == WARREN_SPOOF_DROP;
    record_spoof(&src->addr, ifindex, tick, skb->len, drop);
    count(drop ? WARREN_STAT_SPOOF_DROPPED : WARREN_STAT_SPOOF_LOGGED);
    return drop ? TC_ACT_SHOT : TC_ACT_UNSPEC;
}

SEC("tc")
int warren_liveness(struct __sk_buff *skb)
{
    union source src;
    enum verdict v = parse_source(skb, &src.addr);
    if (v != SOURCE) {
        count(v == TRUNCATED ? WARREN_STAT_TRUNCATED : WARREN_STAT_IGNORED);
        return TC_ACT_UNSPEC;
    }
    /* At clsact ingress skb_iif is the receiving device (set before the hook runs), and unlike
     * skb->ifindex BPF_PROG_TEST_RUN lets tests choose it. */
    __u32 ifindex = skb->ingress_ifindex;
    __u32 tick = (__u32)bpf_jiffies64();
    struct warren_observation *o = bpf_map_lookup_elem(&watch, &src.addr);
    if (o) {
        record(o, ifindex, tick, 1, skb->len);
        count(WARREN_STAT_WATCHED);
    } else if (!track_strangers || never_allocated(&src.addr)) {
        count(WARREN_STAT_IGNORED);
    } else {
        record_stranger(&src.addr, ifindex, tick, skb->len);
        count(WARREN_STAT_STRANGER);
    }
    return check_source(skb, &src, ifindex, tick);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
