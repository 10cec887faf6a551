// LivenessManager::observe(): one GC pass's raw signals (see manager.hpp, observation.hpp).
#include <spdlog/spdlog.h>

#include "liveness/manager.hpp"

namespace warren::liveness {

std::string_view to_string(NetnsSignal s) {
    switch (s) {
        case NetnsSignal::present:
            return "present";
        case NetnsSignal::gone:
            return "gone";
        case NetnsSignal::replaced:
            return "replaced";
        case NetnsSignal::unknown:
            return "unknown";
    }
    return "?";
}

std::string_view to_string(HeldSignal s) {
    switch (s) {
        case HeldSignal::held:
            return "held";
        case HeldSignal::not_held:
            return "not held";
        case HeldSignal::unknown:
            return "unknown";
    }
    return "?";
}

std::string_view to_string(HostLinkSignal s) {
    switch (s) {
        case HostLinkSignal::present:
            return "present";
        case HostLinkSignal::gone:
            return "gone";
        case HostLinkSignal::unknown:
            return "unknown";
    }
    return "?";
}

std::string_view to_string(HostIfindexSource s) {
    switch (s) {
        case HostIfindexSource::none:
            return "none";
        case HostIfindexSource::given:
            return "given";
        case HostIfindexSource::netns:
            return "netns";
        case HostIfindexSource::wire:
            return "wire";
    }
    return "?";
}

std::string_view to_string(WireSignal s) {
    switch (s) {
        case WireSignal::seen:
            return "seen";
        case WireSignal::not_seen:
            return "not seen";
        case WireSignal::unknown:
            return "unknown";
    }
    return "?";
}

struct LivenessManager::WireView {
    bool readable = false;
    WireClock clock;
    std::unordered_map<IpAddress, Observation> watched;
};

namespace {

AddressSighting sighting(const IpAddress& a, const Observation& o, const WireClock& clock) {
    AddressSighting s;
    s.address = a;
    s.wire = o.seen() ? WireSignal::seen : WireSignal::not_seen;
    s.last_seen_ns = clock.to_wall_ns(o.last_seen_ns);
    s.packets = o.packets;
    s.bytes = o.bytes;
    s.last_ifindex = static_cast<int>(o.ifindex);
    s.first_ifindex = static_cast<int>(o.first_ifindex);
    s.multi_link = o.multi_link;
    return s;
}

}  // namespace

ObservePass LivenessManager::observe(std::span<const AllocationRef> allocations,
                                     std::span<const IpAddress> quarantined) {
    ObservePass pass;
    observe(allocations, quarantined, pass);
    return pass;
}

namespace {

// A fresh observation that keeps the buffers of `o` (its key and addresses), so a pass over as
// many allocations as the last allocates nothing for them.
void reuse(AllocationObservation& o) {
    std::string key = std::move(o.key);
    std::vector<AddressSighting> addresses = std::move(o.addresses);
    o = AllocationObservation{};
    key.clear();
    addresses.clear();
    o.key = std::move(key);
    o.addresses = std::move(addresses);
}

}  // namespace

void LivenessManager::observe(std::span<const AllocationRef> allocations,
                              std::span<const IpAddress> quarantined, ObservePass& pass) {
    observe_into(allocations, quarantined, pass, true);
}

ObservePass LivenessManager::check(std::span<const AllocationRef> allocations,
                                   std::span<const IpAddress> quarantined) {
    ObservePass pass;
    observe_into(allocations, quarantined, pass, false);
    return pass;
}

void LivenessManager::observe_into(std::span<const AllocationRef> allocations,
                                   std::span<const IpAddress> quarantined, ObservePass& pass,
                                   bool whole) {
    if (whole) ++status_.passes;
    apply_link_events();  // the table as of now, not as of the last loop turn
    {
        std::vector<AllocationObservation> kept = std::move(pass.allocations);
        std::vector<AddressSighting> kept_quarantined = std::move(pass.quarantined);
        std::vector<StrangerSighting> kept_strangers = std::move(pass.strangers);
        pass = ObservePass{};
        kept.resize(allocations.size());
        for (AllocationObservation& o : kept) reuse(o);
        kept_quarantined.clear();
        kept_strangers.clear();
        pass.allocations = std::move(kept);
        pass.quarantined = std::move(kept_quarantined);
        pass.strangers = std::move(kept_strangers);
    }
    const WireClock clock = seams_.read_clock();
    pass.now_ns = clock.realtime_ns;
    const std::optional<HolderScan> scan = scan_holders(pass);
    const WireView wire = read_wire(clock, pass, whole);

    std::unordered_map<std::string, Learned> learned;
    std::unordered_set<std::string> looked;
    learned.reserve(learned_.size());
    for (size_t i = 0; i < allocations.size(); ++i) {
        const AllocationRef& ref = allocations[i];
        AllocationObservation& out = pass.allocations[i];
        out.key = ref.key;
        probe_netns(scan ? &*scan : nullptr, ref, out);
        find_holder(scan ? &*scan : nullptr, ref, out);
        learn_host_link(ref, wire, out, pass, learned, looked);
        out.addresses.reserve(ref.addresses.size());
        for (const IpAddress& a : ref.addresses) out.addresses.push_back(sight(a, wire, pass));
    }
    if (whole) {
        learned_ = std::move(learned);  // forget allocations that are gone
        looked_ = std::move(looked);
    } else {
        for (auto& [key, l] : learned) learned_.insert_or_assign(key, l);
        looked_.insert(looked.begin(), looked.end());
    }
    pass.quarantined.reserve(quarantined.size());
    for (const IpAddress& a : quarantined) pass.quarantined.push_back(sight(a, wire, pass));

    if (whole) poll_guard();
    if (pass.host_link_error)
        spdlog::warn("liveness: looking up host links failed this pass: {}", *pass.host_link_error);
    if (pass.rewatched)
        spdlog::warn(
            "liveness: {} address(es) were missing from the watch map and are watched "
            "again (their earlier traffic is unknown)",
            pass.rewatched);
}

std::optional<HolderScan> LivenessManager::scan_holders(ObservePass& pass) {
    auto scan = seams_.holder_scanner->scan();
    if (!scan) {
        pass.holder_scan_error = "scanning /proc failed: " + scan.error().describe();
        note(status_.holders, false, *pass.holder_scan_error, "holder");
        return std::nullopt;
    }
    pass.holder_scan_complete = scan->complete();
    std::string why;
    if (!pass.holder_scan_complete) {
        why = std::to_string(scan->unreadable) +
              " process(es) unreadable, so a namespace not seen held may still be";
        if (scan->first_unreadable) why += " (" + scan->first_unreadable->describe() + ")";
        pass.holder_scan_error = why;
    }
    note(status_.holders, true, std::move(why), "holder");
    return std::move(*scan);
}

LivenessManager::WireView LivenessManager::read_wire(const WireClock& clock, ObservePass& pass,
                                                     bool strangers_too) {
    WireView view;
    view.clock = clock;
    if (!datapath_) return view;
    auto& maps = datapath_->maps();
    auto watched = maps.watched();
    auto strangers = strangers_too ? maps.strangers() : Result<std::vector<Entry>>{};
    const Error* failed = !watched ? &watched.error() : !strangers ? &strangers.error() : nullptr;
    if (failed) {
        pass.wire_error = "reading the liveness maps failed: " + failed->describe();
        note(status_.ebpf, false, *pass.wire_error, "eBPF");
        return view;
    }
    note(status_.ebpf, true, "", "eBPF");
    pass.ebpf = view.readable = true;
    view.watched.reserve(watched->size());
    for (const Entry& e : *watched) view.watched.emplace(e.address, e.observation);

    if (!strangers_too) return view;
    std::unordered_map<IpAddress, uint64_t> packets;
    packets.reserve(strangers->size());
    for (const Entry& e : *strangers) {
        packets.emplace(e.address, e.observation.packets);
        auto before = stranger_packets_.find(e.address);
        if (before != stranger_packets_.end() && before->second == e.observation.packets) continue;
        AddressSighting s = sighting(e.address, e.observation, clock);
        pass.strangers.push_back({s.address, s.last_seen_ns, s.packets, s.bytes, s.last_ifindex,
                                  s.first_ifindex, s.multi_link});
    }
    stranger_packets_ = std::move(packets);
    return view;
}

void LivenessManager::probe_netns(const HolderScan* scan, const AllocationRef& ref,
                                  AllocationObservation& out) const {
    if (const auto inode = scan ? scan->net_at(ref.netns_path) : std::nullopt) {
        const bool moved = ref.netns_inode != 0 && *inode != ref.netns_inode;
        out.netns = moved ? NetnsSignal::replaced : NetnsSignal::present;
        out.netns_inode_now = *inode;
        return;
    }
    auto probe = seams_.netns_prober->probe(ref.netns_path, ref.netns_inode);
    if (!probe) {
        out.netns = NetnsSignal::unknown;
        out.netns_error = probe.error().describe();
        return;
    }
    switch (probe->state) {
        case NetnsState::present:
            out.netns = NetnsSignal::present;
            break;
        case NetnsState::replaced:
            out.netns = NetnsSignal::replaced;
            break;
        case NetnsState::gone:
        case NetnsState::not_namespace:
            out.netns = NetnsSignal::gone;
            break;
    }
    out.netns_inode_now = probe->inode;
}

void LivenessManager::find_holder(const HolderScan* scan, const AllocationRef& ref,
                                  AllocationObservation& out) const {
    uint64_t inode = ref.netns_inode;
    if (inode == 0 && out.netns == NetnsSignal::present) inode = out.netns_inode_now;
    if (!scan || inode == 0) return;  // unknown
    if (const Holder* h = scan->holder(inode)) {
        out.held = HeldSignal::held;
        out.holder_pid = h->pid;
        out.holder_mount = h->mount_point;
        if (ref.netns_cookie != 0 && out.netns != NetnsSignal::present && seams_.cookie_reader)
            out.held = check_holder_cookie(*h, inode, scan->complete(), ref, out);
        return;
    }
    out.held = scan->complete() ? HeldSignal::not_held : HeldSignal::unknown;
}

HeldSignal LivenessManager::check_holder_cookie(const Holder& h, uint64_t inode, bool scan_complete,
                                                const AllocationRef& ref,
                                                AllocationObservation& out) const {
    const std::string path =
        h.mount_point.empty() ? "/proc/" + std::to_string(h.pid) + "/ns/net" : h.mount_point;
    auto cookie = seams_.cookie_reader->cookie_of(path, inode);
    if (!cookie) {
        out.holder_error =
            "cannot read the holder's namespace cookie: " + cookie.error().describe();
        return HeldSignal::unknown;
    }
    out.holder_cookie_checked = true;
    if (*cookie == ref.netns_cookie) return HeldSignal::held;
    // Another namespace has the recorded inode number now, so the pod's is gone.
    out.holder_pid = 0;
    out.holder_mount.clear();
    return scan_complete ? HeldSignal::not_held : HeldSignal::unknown;
}

void LivenessManager::learn_host_link(const AllocationRef& ref, const WireView& wire,
                                      AllocationObservation& out, ObservePass& pass,
                                      std::unordered_map<std::string, Learned>& learned,
                                      std::unordered_set<std::string>& looked) {
    Learned l;
    if (ref.host_ifindex != 0) {
        l = {ref.host_ifindex, HostIfindexSource::given};
    } else if (auto it = learned_.find(ref.key); it != learned_.end()) {
        l = it->second;
    } else {
        const bool final_answer = looked_.contains(ref.key);
        if (final_answer) looked.insert(ref.key);
        if (!final_answer && finder_ && out.netns == NetnsSignal::present) {
            if (pass.host_link_lookups >= config_.host_link_lookups_per_pass) {
                ++pass.host_link_lookups_deferred;
            } else {
                ++pass.host_link_lookups;
                auto found = finder_->find(ref.netns_path, ref.ifname, ref.netns_inode);
                if (found && ref.netns_cookie == 0) out.netns_cookie_learned = found->netns_cookie;
                if (!found) {
                    if (!pass.host_link_error)
                        pass.host_link_error = ref.key + ": " + found.error().describe();
                } else if (found->outcome == HostLinkOutcome::found) {
                    l = {found->host.ifindex, HostIfindexSource::netns};
                } else if (found->outcome == HostLinkOutcome::no_host_peer) {
                    looked.insert(ref.key);  // not a veth to us: asking again tells nothing new
                }  // no_interface: a plugin that calls IPAM first may not have made it yet
            }
        }
        // The wire's first link for one of its addresses, when that is a pod-facing veth: never
        // a configured interface such as a bridge, whose presence says nothing about the pod.
        for (size_t i = 0; l.ifindex == 0 && wire.readable && i < ref.addresses.size(); ++i) {
            auto o = wire.watched.find(ref.addresses[i]);
            if (o == wire.watched.end() || o->second.first_ifindex == 0 || !links_) continue;
            const LinkInfo* link = nullptr;
            if (auto it = links_->links().find(static_cast<int>(o->second.first_ifindex));
                it != links_->links().end())
                link = &it->second;
            if (link && link->is_pod_facing_veth()) l = {link->ifindex, HostIfindexSource::wire};
        }
    }
    if (l.source != HostIfindexSource::given && l.ifindex != 0) learned[ref.key] = l;
    out.host_ifindex = l.ifindex;
    out.host_ifindex_source = l.source;
    out.host_ifindex_learned = l.ifindex != 0 && l.source != HostIfindexSource::given;
    if (l.ifindex == 0 || !links_ || !link_events_) return;  // unknown
    out.host_link =
        links_->links().contains(l.ifindex) ? HostLinkSignal::present : HostLinkSignal::gone;
}

void LivenessManager::poll_guard() {
    if (!guard_.on()) return;
    auto polled = guard_.poll([this](uint32_t ifindex) { return host_link_name(ifindex); });
    std::string why =
        polled ? std::string() : "reading the spoof counts failed: " + polled.error().describe();
    if (why == status_.anti_spoofing.why) return;
    if (why.empty())
        spdlog::info("anti-spoofing: the spoof counts are readable again");
    else
        spdlog::warn("anti-spoofing: {}; the counts shown are from the last good pass", why);
    status_.anti_spoofing.why = std::move(why);
}

AddressSighting LivenessManager::sight(const IpAddress& a, const WireView& wire,
                                       ObservePass& pass) {
    if (!wire.readable) return AddressSighting{.address = a};
    auto it = wire.watched.find(a);
    if (it != wire.watched.end()) return sighting(a, it->second, wire.clock);
    AddressSighting s{.address = a};
    if (datapath_->maps().watch(a)) {
        s.rewatched = true;
        ++pass.rewatched;
    }
    return s;
}

}  // namespace warren::liveness
