#include "service/gc_signals_from_liveness.hpp"

namespace warren::service {

using core::Tri;

core::Observation to_observation(const liveness::AllocationObservation& o) {
    core::Observation out;
    switch (o.netns) {
        case liveness::NetnsSignal::present:
            out.netns = Tri::yes;
            break;
        case liveness::NetnsSignal::gone:
        case liveness::NetnsSignal::replaced:
            out.netns = Tri::no;
            break;
        case liveness::NetnsSignal::unknown:
            break;
    }
    switch (o.held) {
        case liveness::HeldSignal::held:
            out.held = Tri::yes;
            break;
        case liveness::HeldSignal::not_held:
            out.held = Tri::no;
            break;
        case liveness::HeldSignal::unknown:
            break;
    }
    switch (o.host_link) {
        case liveness::HostLinkSignal::present:
            out.link = Tri::yes;
            break;
        case liveness::HostLinkSignal::gone:
            out.link = Tri::no;
            break;
        case liveness::HostLinkSignal::unknown:
            break;
    }
    // The kernel hands a freed namespace's inode number to the next namespace made, so a
    // process in another pod can hold the recorded inode. When the cookies settled it, that is
    // the answer. Without a cookie (an old plugin's pod whose namespace was never entered):
    // a namespace that still lives keeps its veth, so with the path gone and the learned host
    // link gone, that holder is not this pod.
    if (!o.holder_cookie_checked && out.netns == Tri::no && out.link == Tri::no &&
        out.held == Tri::yes)
        out.held = Tri::no;
    return out;
}

PassWire::PassWire(const liveness::ObservePass& pass)
    : available_(pass.ebpf && !pass.wire_error),
      strangers_(pass.strangers.size()),
      read_ns_(pass.now_ns) {
    if (!available_) return;
    seen_.reserve(pass.allocations.size() + pass.quarantined.size());
    for (auto& a : pass.allocations)
        for (auto& s : a.addresses) add(s);
    for (auto& s : pass.quarantined) add(s);
}

void PassWire::add(const liveness::AddressSighting& s) {
    if (s.wire != liveness::WireSignal::seen) return;
    auto& slot = seen_[s.address];
    slot.last_seen_ns = std::max(slot.last_seen_ns, s.last_seen_ns);
    slot.two_links = slot.two_links || s.multi_link;
}

std::optional<core::Sighting> PassWire::seen(const IpAddress& a) const {
    auto it = seen_.find(a);
    if (it == seen_.end()) return std::nullopt;
    return it->second;
}

PassProbes::PassProbes(const liveness::ObservePass& pass,
                       std::span<const core::Allocation* const> order, KubeProbe kube)
    : pass_(pass),
      wire_(pass),
      kube_(std::move(kube)),
      order_(order.size() == pass.allocations.size() ? order
                                                     : std::span<const core::Allocation* const>{}) {
}

core::Observation PassProbes::observe(const core::Allocation& a) const {
    core::Observation o = observe_liveness(a);
    if (kube_) o.kube = kube_(a.pod.uid);
    return o;
}

core::Observation PassProbes::observe_liveness(const core::Allocation& a) const {
    if (next_ < order_.size() && order_[next_] == &a)
        return to_observation(pass_.allocations[next_++]);
    if (by_key_.empty()) {
        by_key_.reserve(pass_.allocations.size());
        for (size_t i = 0; i < pass_.allocations.size(); ++i)
            by_key_.emplace(pass_.allocations[i].key, i);
    }
    auto it = by_key_.find(a.key.str());
    return it == by_key_.end() ? core::Observation{}
                               : to_observation(pass_.allocations[it->second]);
}

}  // namespace warren::service
