#include "service/zone_enforcer.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "service/zone_gate.hpp"

namespace warren::service {

liveness::SpoofMode to_spoof_mode(core::AntiSpoofing mode) {
    switch (mode) {
        case core::AntiSpoofing::off:
            return liveness::SpoofMode::off;
        case core::AntiSpoofing::drop:
            return liveness::SpoofMode::drop;
        case core::AntiSpoofing::log:
            break;
    }
    return liveness::SpoofMode::log;
}

ZoneEnforcer::ZoneEnforcer(core::IpamState& state, liveness::LivenessManager& liveness,
                           core::ZoneRules rules, core::LabelLookup labels)
    : state_(state),
      liveness_(liveness),
      rules_(std::make_shared<const core::ZoneRules>(std::move(rules))),
      labels_(std::move(labels)) {}

IpamService::ZoneGate ZoneEnforcer::gate() {
    return make_zone_gate([this] { return rules_; }, labels_);
}

core::ZoneReport ZoneEnforcer::report(const core::Allocation& a) const {
    return core::report(*rules_, a.pod.namespace_, a.pool, labels_);
}

int ZoneEnforcer::protect(const core::Allocation& a, liveness::SpoofMode mode) {
    if (!liveness_.guard().on()) return 0;
    auto r = liveness_.protect(a.key.str(), a.netns, a.key.ifname, a.netns_inode, a.host_ifindex,
                               mode, a.addresses);
    if (!r) {
        ++protect_failures_;
        spdlog::warn(
            "anti-spoofing: could not protect the link of {} ({} failure(s) so far); its "
            "sources are not checked: {}",
            a.key.str(), protect_failures_, r.error().describe());
        return 0;
    }
    return *r;
}

liveness::SpoofMode ZoneEnforcer::mode_of(const core::Allocation& a) const {
    return to_spoof_mode(report(a).anti_spoofing);
}

void ZoneEnforcer::on_allocated(const core::Allocation& a) {
    protect(a, mode_of(a));
}

void ZoneEnforcer::on_link_learned(const core::AttachmentKey& key) {
    const core::Allocation* a = state_.find(key);
    if (!a || a->host_ifindex <= 0 || liveness_.guard().link_of(key.str()) != 0) return;
    const auto mode = mode_of(*a);
    if (mode == liveness::SpoofMode::off) return;
    if (protect(*a, mode) > 0)
        spdlog::info(
            "anti-spoofing: {} is checked on its host link (ifindex {}), learned after its ADD",
            key.str(), a->host_ifindex);
}

void ZoneEnforcer::on_released(const core::AttachmentKey& key) {
    if (auto s = liveness_.unprotect(key.str()); !s)
        spdlog::warn("anti-spoofing: could not remove the link entry of released {}: {}", key.str(),
                     s.error().describe());
}

void ZoneEnforcer::protect_all() {
    auto& guard = liveness_.guard();
    if (!guard.on()) return;
    std::vector<liveness::LinkSources> want;
    std::vector<std::string> owners;
    for (auto& [k, a] : state_.allocations()) {
        const auto mode = mode_of(a);
        const int ifindex = protect(a, mode);
        if (ifindex <= 0 || mode == liveness::SpoofMode::off) continue;
        want.push_back({static_cast<uint32_t>(ifindex), mode, a.addresses});
        owners.push_back(k.str());
    }
    auto r = guard.reconcile(want, owners);
    if (!r) {
        spdlog::warn("anti-spoofing: could not reconcile the link entries with the allocations: {}",
                     r.error().describe());
        return;
    }
    if (r->deleted)
        spdlog::info("anti-spoofing: {} link(s) checked; {} stale link entr{} deleted", want.size(),
                     r->deleted, r->deleted == 1 ? "y" : "ies");
}

Result<std::string> ZoneEnforcer::replace(core::ZoneRules rules, bool labels_watched) {
    if (rules.uses_selectors() && !labels_watched)
        return fail(
            Code::invalid_config,
            "zones: a namespaceSelector needs namespace labels from the Kubernetes API, which "
            "this warrend does not watch (it started without a selector, or without "
            "--kube-node); the old zones stay in force",
            "restart warrend to use namespaceSelector (with --kube-node)");
    rules_ = std::make_shared<const core::ZoneRules>(std::move(rules));
    protect_all();
    std::string names;
    for (auto& z : rules_->zones)
        names += fmt::format("{}{} (pool {}, antiSpoofing {})", names.empty() ? "" : ", ", z.name,
                             z.pool, core::to_string(z.anti_spoofing));
    size_t mismatches = 0;
    constexpr size_t kListed = 10;
    for (auto& [k, a] : state_.allocations()) {
        auto rep = report(a);
        if (!rep.mismatch) continue;
        if (++mismatches <= kListed)
            spdlog::warn("zones: {} (namespace '{}', pool {}) is in a zone mismatch: {}", k.str(),
                         a.pod.namespace_, a.pool, rep.why);
    }
    if (mismatches > kListed)
        spdlog::warn("zones: and {} more allocation(s) in a mismatch (warrenctl list)",
                     mismatches - kListed);
    auto summary = fmt::format(
        "zones reloaded: {} zone(s){}{}, strict {}, antiSpoofing {} for pods in no zone; {} "
        "allocation(s) in a zone mismatch (they keep their addresses; new ADDs follow the new "
        "rules)",
        rules_->zones.size(), names.empty() ? "" : ": ", names, rules_->strict ? "on" : "off",
        core::to_string(rules_->default_anti_spoofing), mismatches);
    spdlog::info("{}", summary);
    return summary;
}

}  // namespace warren::service
