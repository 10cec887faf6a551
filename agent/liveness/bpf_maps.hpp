#pragma once
// LivenessMaps over the kernel's `watch` and `strangers` maps. Owns duplicates of the map fds,
// so it stays valid after the Program that loaded them is gone.
#include "liveness/liveness_maps.hpp"
#include "warren/fd.hpp"

namespace warren::liveness {

class BpfMaps final : public LivenessMaps {
  public:
    // Duplicates both fds; fails with errno when dup fails.
    static Result<BpfMaps> from_fds(int watch_fd, int strangers_fd);

    Status watch(const IpAddress& a) override;
    Status unwatch(const IpAddress& a) override;
    Result<std::optional<Observation>> observation(const IpAddress& a) const override;
    Result<std::vector<Entry>> watched() const override;
    Result<std::vector<Entry>> strangers() const override;

  private:
    BpfMaps(Fd watch, Fd strangers) : watch_(std::move(watch)), strangers_(std::move(strangers)) {}
    Fd watch_;
    Fd strangers_;
};

}  // namespace warren::liveness
