#pragma once
// LivenessMaps over the kernel's `watch` and `strangers` maps. Owns duplicates of the map fds,
// so it stays valid after the Program that loaded them is gone.
#include <memory>
#include <mutex>
#include <vector>

#include "liveness/liveness_maps.hpp"
#include "warren/fd.hpp"

namespace warren::liveness {

// Keys and values of one batched lookup, kept between dumps of a map.
struct BatchBuffer {
    std::vector<warren_addr> keys;
    std::vector<warren_observation> values;
    size_t last = 0;  // entries in the last dump
};

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
    struct Buffers {
        std::mutex mu;  // dumps may come from any thread (liveness_maps.hpp)
        BatchBuffer watch, strangers;
    };
    std::unique_ptr<Buffers> buf_ = std::make_unique<Buffers>();
};

}  // namespace warren::liveness
