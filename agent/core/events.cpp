#include "core/events.hpp"

#include "core/bytes.hpp"

namespace warren::core {

namespace {

int64_t get_time(ByteReader& r) {
    const int64_t t = r.i64();
    if (t < 0 || t > kMaxEventTimeNs) r.fail();
    return t;
}

enum Tag : uint8_t {
    kPoolDefined = 1,
    kAllocated = 2,  // without netns cookie: written before cookies were kept, still read
    kReleased = 3,
    kQuarantineEnded = 4,
    kCursorAt = 5,
    kQuarantined = 6,  // without owner: written before owners were kept, still read
    kPoolRemoved = 7,
    kQuarantinedBy = 8,
    kCandidateMarked = 9,
    kCandidateCleared = 10,
    kZombieMarked = 11,
    kQuarantineHeld = 12,
    kAllocatedV2 = 13,
    kHostLinkLearned = 14,
};

void put_key(ByteWriter& w, const AttachmentKey& k) {
    w.str(k.network);
    w.str(k.container_id);
    w.str(k.ifname);
}
AttachmentKey get_key(ByteReader& r) {
    AttachmentKey k;
    k.network = r.str();
    k.container_id = r.str();
    k.ifname = r.str();
    return k;
}
void put_addrs(ByteWriter& w, const std::vector<IpAddress>& v) {
    w.u64(v.size());
    for (auto& a : v) w.addr(a);
}
std::vector<IpAddress> get_addrs(ByteReader& r) {
    std::vector<IpAddress> v;
    uint64_t n = r.u64();
    if (!r.fits(n, ByteReader::kAddrBytes)) return v;
    v.reserve(n);
    for (uint64_t i = 0; i < n && r.ok(); ++i) v.push_back(r.addr());
    return v;
}
template <class E>
E get_enum(ByteReader& r, uint8_t lo, uint8_t hi) {
    uint8_t v = r.u8();
    if (v < lo || v > hi) r.fail();
    return static_cast<E>(v);
}
constexpr size_t kStr = 8, kAddr = ByteReader::kAddrBytes;  // a length or count, an address
size_t key_size(const AttachmentKey& k) {
    return 3 * kStr + k.network.size() + k.container_id.size() + k.ifname.size();
}
}  // namespace

std::string_view reason_name(ReleaseReason r) {
    switch (r) {
        case ReleaseReason::del: return "del";
        case ReleaseReason::gc: return "gc";
        case ReleaseReason::queued_del: return "queued-del";
        case ReleaseReason::admin: return "admin";
        case ReleaseReason::stale: return "stale";
        case ReleaseReason::admin_forced:
            return "admin-forced";
    }
    return "unknown";
}

std::string_view gc_reason_name(GcReason r) {
    switch (r) {
        case GcReason::netns_gone:
            return "netns-gone";
        case GcReason::cni_gc:
            return "cni-gc";
        case GcReason::netns_present:
            return "netns-present";
        case GcReason::held_by_process:
            return "held-by-process";
        case GcReason::link_present:
            return "link-present";
        case GcReason::traffic:
            return "traffic";
        case GcReason::k8s_running:
            return "k8s-running";
        case GcReason::unconfirmed:
            return "unconfirmed";
        case GcReason::listed:
            return "listed";
        case GcReason::readded:
            return "readded";
    }
    return "unknown";
}

size_t encoded_size(const Event& e) {
    return 1 + std::visit(
                   [](const auto& ev) -> size_t {
                       using T = std::decay_t<decltype(ev)>;
                       if constexpr (std::is_same_v<T, PoolDefined>)
                           return 2 * kStr + ev.pool.size() + ev.ranges_json.size() + 1;
                       else if constexpr (std::is_same_v<T, PoolRemoved>)
                           return kStr + ev.pool.size();
                       else if constexpr (std::is_same_v<T, Allocated>)
                           return key_size(ev.key) + 6 * kStr + ev.pool.size() +
                                  ev.addresses.size() * kAddr + ev.netns.size() + 8 +
                                  ev.pod.namespace_.size() + ev.pod.name.size() +
                                  ev.pod.uid.size() + 8 + 8;
                       else if constexpr (std::is_same_v<T, HostLinkLearned>)
                           return key_size(ev.key) + 8 + 8;
                       else if constexpr (std::is_same_v<T, Released>)
                           return key_size(ev.key) + 8 + 1;
                       else if constexpr (std::is_same_v<T, QuarantineEnded>)
                           return 2 * kStr + ev.pool.size() + ev.addresses.size() * kAddr;
                       else if constexpr (std::is_same_v<T, CursorAt>)
                           return kStr + ev.pool.size() + 8 + kAddr;
                       else if constexpr (std::is_same_v<T, Quarantined>)
                           return kStr + ev.pool.size() + kAddr + 8 + key_size(ev.owner);
                       else if constexpr (std::is_same_v<T, CandidateCleared>)
                           return key_size(ev.key) + 1;
                       else if constexpr (std::is_same_v<T, QuarantineHeld>)
                           return kStr + ev.pool.size() + kAddr + 8;
                       else  // CandidateMarked, ZombieMarked
                           return key_size(ev.key) + 8 + 1;
                   },
                   e);
}

void encode_event(std::string& out, const Event& e) {
    ByteWriter w(out);
    std::visit(
        [&](const auto& ev) {
            using T = std::decay_t<decltype(ev)>;
            if constexpr (std::is_same_v<T, PoolDefined>) {
                w.u8(kPoolDefined);
                w.str(ev.pool);
                w.str(ev.ranges_json);
                w.u8(static_cast<uint8_t>(ev.source));
            } else if constexpr (std::is_same_v<T, Allocated>) {
                w.u8(kAllocatedV2);
                put_key(w, ev.key);
                w.str(ev.pool);
                put_addrs(w, ev.addresses);
                w.str(ev.netns);
                w.u64(ev.netns_inode);
                w.str(ev.pod.namespace_);
                w.str(ev.pod.name);
                w.str(ev.pod.uid);
                w.i64(ev.time_ns);
                w.u64(ev.netns_cookie);
            } else if constexpr (std::is_same_v<T, HostLinkLearned>) {
                w.u8(kHostLinkLearned);
                put_key(w, ev.key);
                w.i64(ev.host_ifindex);
                w.u64(ev.netns_cookie);
            } else if constexpr (std::is_same_v<T, Released>) {
                w.u8(kReleased);
                put_key(w, ev.key);
                w.i64(ev.time_ns);
                w.u8(static_cast<uint8_t>(ev.reason));
            } else if constexpr (std::is_same_v<T, QuarantineEnded>) {
                w.u8(kQuarantineEnded);
                w.str(ev.pool);
                put_addrs(w, ev.addresses);
            } else if constexpr (std::is_same_v<T, CursorAt>) {
                w.u8(kCursorAt);
                w.str(ev.pool);
                w.u64(ev.set_index);
                w.addr(ev.address);
            } else if constexpr (std::is_same_v<T, Quarantined>) {
                w.u8(kQuarantinedBy);
                w.str(ev.pool);
                w.addr(ev.address);
                w.i64(ev.since_ns);
                put_key(w, ev.owner);
            } else if constexpr (std::is_same_v<T, PoolRemoved>) {
                w.u8(kPoolRemoved);
                w.str(ev.pool);
            } else if constexpr (std::is_same_v<T, CandidateMarked> ||
                                 std::is_same_v<T, ZombieMarked>) {
                w.u8(std::is_same_v<T, CandidateMarked> ? kCandidateMarked : kZombieMarked);
                put_key(w, ev.key);
                w.i64(ev.since_ns);
                w.u8(static_cast<uint8_t>(ev.reason));
            } else if constexpr (std::is_same_v<T, CandidateCleared>) {
                w.u8(kCandidateCleared);
                put_key(w, ev.key);
                w.u8(static_cast<uint8_t>(ev.reason));
            } else if constexpr (std::is_same_v<T, QuarantineHeld>) {
                w.u8(kQuarantineHeld);
                w.str(ev.pool);
                w.addr(ev.address);
                w.i64(ev.seen_ns);
            }
        },
        e);
}

std::string encode_event(const Event& e) {
    std::string out;
    encode_event(out, e);
    return out;
}

Result<Event> decode_event(std::string_view payload) {
    ByteReader r(payload);
    Event e;
    const uint8_t tag = r.u8();
    switch (tag) {
        case kPoolDefined: {
            PoolDefined ev;
            ev.pool = r.str();
            ev.ranges_json = r.str();
            ev.source = get_enum<PoolSource>(r, 1, 2);
            e = std::move(ev);
            break;
        }
        case kAllocated:
        case kAllocatedV2: {
            Allocated ev;
            ev.key = get_key(r);
            ev.pool = r.str();
            ev.addresses = get_addrs(r);
            ev.netns = r.str();
            ev.netns_inode = r.u64();
            ev.pod.namespace_ = r.str();
            ev.pod.name = r.str();
            ev.pod.uid = r.str();
            ev.time_ns = get_time(r);
            if (tag == kAllocatedV2) ev.netns_cookie = r.u64();
            e = std::move(ev);
            break;
        }
        case kHostLinkLearned: {
            HostLinkLearned ev;
            ev.key = get_key(r);
            const int64_t ifindex = r.i64();
            if (ifindex < 0 || ifindex > INT32_MAX) r.fail();
            ev.host_ifindex = static_cast<int>(ifindex);
            ev.netns_cookie = r.u64();
            e = std::move(ev);
            break;
        }
        case kReleased: {
            Released ev;
            ev.key = get_key(r);
            ev.time_ns = get_time(r);
            ev.reason = get_enum<ReleaseReason>(r, 1, 6);
            e = std::move(ev);
            break;
        }
        case kQuarantineEnded: {
            QuarantineEnded ev;
            ev.pool = r.str();
            ev.addresses = get_addrs(r);
            e = std::move(ev);
            break;
        }
        case kCursorAt: {
            CursorAt ev;
            ev.pool = r.str();
            ev.set_index = r.u64();
            ev.address = r.addr();
            e = std::move(ev);
            break;
        }
        case kQuarantined:
        case kQuarantinedBy: {
            Quarantined ev;
            ev.pool = r.str();
            ev.address = r.addr();
            ev.since_ns = get_time(r);
            if (tag == kQuarantinedBy) ev.owner = get_key(r);
            e = std::move(ev);
            break;
        }
        case kPoolRemoved: {
            PoolRemoved ev;
            ev.pool = r.str();
            e = std::move(ev);
            break;
        }
        case kCandidateMarked: {
            CandidateMarked ev;
            ev.key = get_key(r);
            ev.since_ns = get_time(r);
            ev.reason = get_enum<GcReason>(r, 1, 10);
            e = std::move(ev);
            break;
        }
        case kCandidateCleared: {
            CandidateCleared ev;
            ev.key = get_key(r);
            ev.reason = get_enum<GcReason>(r, 1, 10);
            e = std::move(ev);
            break;
        }
        case kZombieMarked: {
            ZombieMarked ev;
            ev.key = get_key(r);
            ev.since_ns = get_time(r);
            ev.reason = get_enum<GcReason>(r, 1, 10);
            e = std::move(ev);
            break;
        }
        case kQuarantineHeld: {
            QuarantineHeld ev;
            ev.pool = r.str();
            ev.address = r.addr();
            ev.seen_ns = get_time(r);
            e = std::move(ev);
            break;
        }
        default:
            return fail(Code::io, "unknown event type in journal record");
    }
    if (!r.ok() || !r.done()) return fail(Code::io, "malformed event payload in journal record");
    return e;
}

}  // namespace warren::core
