#pragma once
// The loaded classifier as LivenessManager drives it: its maps, its tc hooks by ifindex and its
// counters. KernelDatapath is Program + tc_hook.hpp; tests/support/fake_datapath.hpp is a fake.
//
// Ownership: a Datapath owns its hooks. Destroying it detaches the ones still held, so an agent
// that exits calls leave_attached() first (the filters then keep observing until a restarted
// agent replaces them or `warrend --detach-all` removes them).
// Thread-safety: none; one thread (the agent's event loop) uses an instance.
#include <functional>
#include <memory>

#include "liveness/guard_maps.hpp"
#include "liveness/liveness_maps.hpp"
#include "liveness/program.hpp"
#include "warren/error.hpp"

namespace warren::liveness {

class Datapath {
  public:
    virtual ~Datapath() = default;

    virtual LivenessMaps& maps() = 0;
    // The anti-spoofing maps (link_sources, spoofs), pinned beside watch; null when this
    // datapath has none.
    virtual GuardMaps* guard() { return nullptr; }
    // Puts warren's filter on `ifindex`'s clsact ingress (replacing one already there) and keeps
    // its hook. false: the link vanished meanwhile (no error). Attaching twice is harmless.
    virtual Result<bool> attach(int ifindex) = 0;
    // The link is gone and its filter with it: drop the hook without asking the kernel (its
    // ifindex could name another link by the time a detach ran).
    virtual void forget(int ifindex) = 0;
    // Keeps every filter in place and drops the hooks: the agent is exiting.
    virtual void leave_attached() = 0;
    // The classifier's counters since it was loaded.
    virtual Result<Stats> stats() const = 0;
};

using DatapathLoader = std::function<Result<std::unique_ptr<Datapath>>(const Options&)>;

// Program::load (pins under options.bpffs_dir) wrapped as a Datapath; errors are Program::load's.
Result<std::unique_ptr<Datapath>> load_kernel_datapath(const Options& options);

}  // namespace warren::liveness
