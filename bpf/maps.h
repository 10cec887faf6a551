/* The liveness maps. watch, strangers, link_sources and spoofs are pinned by name under the
 * agent's bpffs dir (pin_root_path), so a restarted agent reuses them and the classifier keeps
 * filling (and enforcing) them while the agent is down. */
#ifndef WARREN_BPF_MAPS_H
#define WARREN_BPF_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "warren/liveness_abi.h"

/* watch: every address the agent allocated or quarantined; user space inserts and removes, the
 * classifier only updates entries in place. A plain hash, not an LRU: evidence is never evicted. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, WARREN_WATCH_MAX_ENTRIES);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, struct warren_addr);
    __type(value, struct warren_observation);
} watch SEC(".maps");

/* strangers: sources seen on a pod-facing link that are not in watch; small, oldest evicted. */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, WARREN_STRANGERS_MAX_ENTRIES);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, struct warren_addr);
    __type(value, struct warren_observation);
} strangers SEC(".maps");

/* link_sources: per host link (key: its ifindex), the addresses its pod may send from and what
 * to do otherwise; user space writes, the classifier only reads. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, WARREN_LINK_SOURCES_MAX_ENTRIES);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, __u32);
    __type(value, struct warren_link_sources);
} link_sources SEC(".maps");

/* link_sources_gen: slot 0 counts the agent's changes to link_sources (it adds 1 after each
 * write or delete). Pinned, so every program instance sees the same count: a link_cache slot is
 * good while the count is what it was when the slot was filled. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, __u32);
    __type(value, __u64);
} link_sources_gen SEC(".maps");

/* link_cache: per CPU, the link_sources entries (or their absence) this CPU looked up last,
 * direct-mapped by ifindex, each with the link_sources_gen it was read under. A hit costs two
 * inlined array lookups instead of a hash lookup (a call and, with SRSO mitigations, a costly
 * return) on every packet. Per program instance, not pinned. */
#define WARREN_LINK_CACHE_SLOTS 64
struct link_cache_slot {
    __u64 gen;
    __u32 ifindex; /* 0: empty (no link has ifindex 0) */
    __u32 present; /* link_sources had an entry for ifindex */
    struct warren_link_sources ls;
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, WARREN_LINK_CACHE_SLOTS);
    __type(key, __u32);
    __type(value, struct link_cache_slot);
} link_cache SEC(".maps");

/* spoofs: sources a checked link sent from that its link_sources entry does not list, per link
 * and source; small, least recently updated evicted. */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, WARREN_SPOOFS_MAX_ENTRIES);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
    __type(key, struct warren_spoof_key);
    __type(value, struct warren_spoof);
} spoofs SEC(".maps");

/* stats: per-CPU packet counters by enum warren_stat; per program instance, not pinned. */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, WARREN_STAT_COUNT);
    __type(key, __u32);
    __type(value, __u64);
} stats SEC(".maps");

/* stranger_batch: per CPU, the stranger this CPU recorded last (source, link, tick) and the
 * packets and bytes it has seen from it since, in that same tick on that same link, which are
 * not yet in strangers. Lets a burst from one stranger cost one map lookup per tick instead of
 * one per packet; see record_stranger(). Per program instance, not pinned. */
struct stranger_batch {
    union {
        struct warren_addr addr;
        __u64 words[2]; /* the same bytes, for aligned compares */
    };
    __u32 ifindex;
    __u32 tick;
    __u64 packets;
    __u64 bytes;
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct stranger_batch);
} stranger_batch SEC(".maps");

#endif
