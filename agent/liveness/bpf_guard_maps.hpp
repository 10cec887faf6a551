#pragma once
// GuardMaps over the kernel's `link_sources` and `spoofs` maps. Owns duplicates of the map fds,
// so it stays valid after the Program that loaded them is gone.
#include "liveness/guard_maps.hpp"
#include "warren/fd.hpp"

namespace warren::liveness {

class BpfGuardMaps final : public GuardMaps {
  public:
    // Duplicates both fds; fails with errno when dup fails.
    static Result<BpfGuardMaps> from_fds(int link_sources_fd, int spoofs_fd);

    Status set_link(const LinkSources& s) override;
    Status clear_link(uint32_t ifindex) override;
    Result<std::vector<LinkSources>> links() const override;
    Result<std::vector<Spoof>> spoofs() const override;
    Status clear_spoofs(uint32_t ifindex) override;

  private:
    BpfGuardMaps(Fd link_sources, Fd spoofs)
        : link_sources_(std::move(link_sources)), spoofs_(std::move(spoofs)) {}
    Fd link_sources_;
    Fd spoofs_;
};

}  // namespace warren::liveness
