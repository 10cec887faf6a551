/* The kernel/user ABI of the liveness datapath: map keys, values, flags and stats slots, shared
 * by bpf/liveness.bpf.c and agent/liveness/ (which static_asserts sizes and offsets). Changing a
 * layout changes the pinned maps: a new agent then refuses the old pins until
 * `warrend --detach-all` removes them. */
#ifndef WARREN_LIVENESS_ABI_H
#define WARREN_LIVENESS_ABI_H

#include <linux/types.h>

/* Capacities are part of the ABI: libbpf reuses a pinned map only when they match. */
#define WARREN_WATCH_MAX_ENTRIES 65536
#define WARREN_STRANGERS_MAX_ENTRIES 4096

/* A source address in network byte order; IPv4 as the v4-mapped IPv6 address ::ffff:a.b.c.d. */
struct warren_addr {
    __u8 bytes[16];
};

/* The address was seen on an ifindex other than first_ifindex (one address on two links). */
#define WARREN_OBS_MULTI_LINK 0x1u

/* What the wire showed of one source address. A watch entry the agent just inserted is all
 * zeros: packets == 0 and first_ifindex == 0 mean "not seen yet". Watch entries are updated on
 * every packet. A strangers entry is written on a source's first sighting and on its first
 * packet in each tick on each CPU and link, so every field but packets and bytes is what a write
 * per packet would give; packets and bytes may lag by the packets one CPU saw from the source in
 * its latest tick on that link, until that CPU sees a stranger again. */
struct warren_observation {
    __u64 last_seen_ns;  /* bpf_ktime_get_coarse_ns(), CLOCK_MONOTONIC_COARSE: latest sighting */
    __u64 packets;
    __u64 bytes;         /* frame length including the Ethernet header */
    __u32 ifindex;       /* ingress ifindex of the latest sighting */
    __u32 first_ifindex; /* ingress ifindex of the first sighting */
    __u32 flags;         /* WARREN_OBS_* */
    __u32 last_seen_tick; /* the classifier's own: low 32 bits of jiffies at last_seen_ns */
};

/* Slots of the per-CPU `stats` array: each packet counts in exactly one (their sum is every
 * packet the classifier ran on). */
enum warren_stat {
    WARREN_STAT_WATCHED = 0,   /* source found in watch */
    WARREN_STAT_STRANGER = 1,  /* source recorded in strangers */
    WARREN_STAT_IGNORED = 2,   /* not IPv4/IPv6/ARP, or a source that is no allocation */
    WARREN_STAT_TRUNCATED = 3, /* a header ended before the source address */
    WARREN_STAT_COUNT = 4,
};

#endif
