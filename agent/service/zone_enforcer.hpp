#pragma once
// ZoneEnforcer: the zone rules in force (issue 11) and what follows from them: the ADD gate
// (core::choose through make_zone_gate), the anti-spoofing mode of each allocation's host link
// (protected before the ADD is answered, unprotected when released), the zone and mismatch
// `warrenctl list` reports, and replacing the rules under a running agent (SIGHUP, `warrenctl
// reload`, a namespace's labels changing), after which every link is checked in its new mode.
//
// An allocation's mode is core::report()'s: the zone owning its pool, else its namespace's zone,
// else the top-level antiSpoofing.
// Thread-safety: the agent's I/O thread only (the gate runs there too). Errors: values; failing
// to protect a link is logged and counted, never fails an ADD (an unknown link is not dropped).
#include <memory>
#include <string>

#include "core/ipam_state.hpp"
#include "core/zones.hpp"
#include "liveness/manager.hpp"
#include "service/ipam_service.hpp"

namespace warren::service {

class ZoneEnforcer {
  public:
    ZoneEnforcer(core::IpamState& state, liveness::LivenessManager& liveness, core::ZoneRules rules,
                 core::LabelLookup labels);

    IpamService::ZoneGate gate();
    // An ADD's allocation, before its answer (also a repeated ADD).
    void on_allocated(const core::Allocation& a);
    // The attachment's addresses were released.
    void on_released(const core::AttachmentKey& key);
    // Every allocation's link protected in its mode, and map entries no allocation explains
    // deleted (start-up, and after the rules or labels changed).
    void protect_all();
    // A GC pass learned the allocation's host link (durable HostLinkLearned): protected when it
    // was not at its ADD (a plugin that makes the veth after asking IPAM, like ptp).
    void on_link_learned(const core::AttachmentKey& key);

    // Puts `rules` in force; the summary line it logged. Refused (the old rules stay) when the
    // new ones need namespace labels that are not watched (`labels_watched` false).
    Result<std::string> replace(core::ZoneRules rules, bool labels_watched);

    core::ZoneReport report(const core::Allocation& a) const;
    const std::shared_ptr<const core::ZoneRules>& rules() const { return rules_; }
    size_t protect_failures() const { return protect_failures_; }

  private:
    // Returns the host ifindex protected (0: none).
    int protect(const core::Allocation& a, liveness::SpoofMode mode);
    liveness::SpoofMode mode_of(const core::Allocation& a) const;

    core::IpamState& state_;
    liveness::LivenessManager& liveness_;
    std::shared_ptr<const core::ZoneRules> rules_;
    core::LabelLookup labels_;
    size_t protect_failures_ = 0;
};

liveness::SpoofMode to_spoof_mode(core::AntiSpoofing mode);

}  // namespace warren::service
