#pragma once
// GuardMaps over the kernel's `link_sources` and `spoofs` maps. Owns duplicates of the map fds,
// so it stays valid after the Program that loaded them is gone. Every change to link_sources is
// followed by adding 1 to `link_sources_gen`, which tells the classifier's per-CPU caches to read
// the entries again (bpf/maps.h).
#include "liveness/guard_maps.hpp"
#include "warren/fd.hpp"

namespace warren::liveness {

class BpfGuardMaps final : public GuardMaps {
  public:
    // Duplicates the fds; fails with errno when dup fails.
    static Result<BpfGuardMaps> from_fds(int link_sources_fd, int spoofs_fd, int gen_fd);

    Status set_link(const LinkSources& s) override;
    Status clear_link(uint32_t ifindex) override;
    Result<std::vector<LinkSources>> links() const override;
    Result<std::vector<Spoof>> spoofs() const override;
    Status clear_spoofs(uint32_t ifindex) override;

  private:
    BpfGuardMaps(Fd link_sources, Fd spoofs, Fd gen)
        : link_sources_(std::move(link_sources)), spoofs_(std::move(spoofs)), gen_(std::move(gen)) {}
    // After a change to link_sources: the classifier's caches must read it again.
    Status bump_generation();
    Fd link_sources_;
    Fd spoofs_;
    Fd gen_;
};

}  // namespace warren::liveness
