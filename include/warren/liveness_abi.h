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
#define WARREN_LINK_SOURCES_MAX_ENTRIES 65536
#define WARREN_SPOOFS_MAX_ENTRIES 4096
/* Addresses one host link's pod may send from: one per range set of its attachment. */
#define WARREN_LINK_ADDRS 4

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

/* Anti-spoofing (issue 11), per host link: what the classifier does with a packet whose source
 * is not one of the link's addresses. A link without a link_sources entry is never checked. */
enum warren_spoof_mode {
    WARREN_SPOOF_OFF = 0,  /* not checked (same as no entry) */
    WARREN_SPOOF_LOG = 1,  /* counted in spoofs, passed */
    WARREN_SPOOF_DROP = 2, /* counted in spoofs, dropped (TC_ACT_SHOT) */
};

/* link_sources value, keyed by the host link's ifindex (__u32): written by the agent on ADD
 * before the answer, rewritten on release, deleted when the link goes. Sources that always pass:
 * fe80::/10, :: (DAD), 0.0.0.0 (DHCP, ARP probes) and v4-mapped IPv6 (receivers drop it); so do
 * frames that are not IPv4, IPv6 or Ethernet/IPv4 ARP, or end before the source address. Mode
 * values other than log and drop count as off. */
struct warren_link_sources {
    __u32 mode;  /* enum warren_spoof_mode */
    __u32 count; /* valid entries in addrs, 0..WARREN_LINK_ADDRS (0: every checked source is a
                  * mismatch) */
    struct warren_addr addrs[WARREN_LINK_ADDRS];
};

/* spoofs key: a source seen on a host link whose link_sources entry does not list it. */
struct warren_spoof_key {
    __u32 ifindex;
    __u32 pad; /* zero */
    struct warren_addr addr;
};

/* spoofs value, updated on every mismatching packet. first_seen_ns/last_seen_ns are
 * bpf_ktime_get_coarse_ns(). packets counts every mismatching packet, dropped those of them
 * dropped (mode drop at the time). */
struct warren_spoof {
    __u64 first_seen_ns;
    __u64 last_seen_ns;
    __u64 packets;
    __u64 bytes;         /* frame length including the Ethernet header */
    __u64 dropped;
    __u32 last_seen_tick; /* the classifier's own, as in warren_observation */
    __u32 pad;           /* zero */
};

/* Slots of the per-CPU `stats` array: each packet counts in exactly one (their sum is every
 * packet the classifier ran on). */
enum warren_stat {
    WARREN_STAT_WATCHED = 0,   /* source found in watch */
    WARREN_STAT_STRANGER = 1,  /* source recorded in strangers */
    WARREN_STAT_IGNORED = 2,   /* not IPv4/IPv6/ARP, or a source that is no allocation */
    WARREN_STAT_TRUNCATED = 3, /* a header ended before the source address */
    WARREN_STAT_EXCLUSIVE = 4, /* slots below this one partition the packets */
    /* Counted in addition to one of the slots above. */
    WARREN_STAT_SPOOF_LOGGED = 4,  /* mismatching source, passed (mode log) */
    WARREN_STAT_SPOOF_DROPPED = 5, /* mismatching source, dropped (mode drop) */
    WARREN_STAT_COUNT = 6,
};

#endif
