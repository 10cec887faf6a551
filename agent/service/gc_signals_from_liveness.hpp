#pragma once
// The GC runner's translation of one LivenessManager::observe() pass (raw signals) into the
// core policy's input (core::Probes, core::Wire). Pure: no I/O.
//
// netns: present -> yes; gone or replaced (the recorded namespace left the path) -> no;
// unknown -> unknown. held: held -> yes, not_held -> no, except that a holder not checked by
// cookie counts as no when the path and the learned host link are both gone (inode reuse).
// host link: present -> yes, gone -> no.
// Kubernetes: the KubeProbe's answer for the allocation's pod UID (kube::Source::pod_running);
// unknown without one (Kubernetes off). The wire: available when the pass read the maps;
// a sighting per address the classifier saw (wall clock, two_links when on a second link).
// Thread-safety: none; built and used on the runner's thread during one pass.
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/gc_policy.hpp"
#include "liveness/observation.hpp"

namespace warren::service {

core::Observation to_observation(const liveness::AllocationObservation& o);

// Signal 5 for a pod UID (empty when the runtime passed none): kube::Source::pod_running.
using KubeProbe = std::function<core::Tri(std::string_view pod_uid)>;

class PassWire final : public core::Wire {
  public:
    PassWire() = default;
    explicit PassWire(const liveness::ObservePass& pass);
    bool available() const override { return available_; }
    std::optional<core::Sighting> seen(const IpAddress& a) const override;
    uint64_t strangers() const override { return strangers_; }
    // When the maps were read (wall clock ns); 0 when never.
    int64_t read_ns() const { return read_ns_; }

  private:
    void add(const liveness::AddressSighting& s);
    bool available_ = false;
    uint64_t strangers_ = 0;
    int64_t read_ns_ = 0;
    std::unordered_map<IpAddress, core::Sighting> seen_;
};

// Probes over one pass (which must outlive them): allocations are found by AttachmentKey::str()
// (the AllocationRef key); one the pass did not observe gets all-unknown signals. With `order`
// (order[i] is the allocation pass.allocations[i] observed, as the runner built the refs from
// the state the policy walks in the same order), observe() takes the next one by position and
// builds no key; an allocation out of that order is still found by key. With `kube`, each
// observation's kube signal is its answer for the allocation's pod UID.
class PassProbes final : public core::Probes {
  public:
    explicit PassProbes(const liveness::ObservePass& pass,
                        std::span<const core::Allocation* const> order = {}, KubeProbe kube = {});
    core::Observation observe(const core::Allocation& a) const override;
    const core::Wire& wire() const override { return wire_; }
    const PassWire& pass_wire() const { return wire_; }
    // The wire, moved out (the probes are done with).
    PassWire take_wire() && { return std::move(wire_); }

  private:
    core::Observation observe_liveness(const core::Allocation& a) const;
    const liveness::ObservePass& pass_;
    PassWire wire_;
    KubeProbe kube_;
    std::span<const core::Allocation* const> order_;
    mutable size_t next_ = 0;                                      // in order_
    mutable std::unordered_map<std::string_view, size_t> by_key_;  // built on the first miss
};

}  // namespace warren::service
