#pragma once
// HostLinkFinder for unit tests: answers from a table keyed by (netns path, ifname); anything
// not in it is netns_gone.
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "liveness/host_link.hpp"

namespace warren::testing {

class FakeHostLinkFinder final : public liveness::HostLinkFinder {
  public:
    void put(const std::string& netns, const std::string& ifname, liveness::HostLink answer) {
        answers_[{netns, ifname}] = std::move(answer);
    }
    void fail_next(Error e) { failure_ = std::move(e); }
    int finds() const { return finds_; }

    Result<liveness::HostLink> find(const std::string& netns, const std::string& ifname,
                                    uint64_t) override {
        ++finds_;
        if (failure_) {
            Error e = std::move(*failure_);
            failure_.reset();
            return std::unexpected(std::move(e));
        }
        auto it = answers_.find({netns, ifname});
        if (it == answers_.end()) return liveness::HostLink{};
        return it->second;
    }

  private:
    std::map<std::pair<std::string, std::string>, liveness::HostLink> answers_;
    std::optional<Error> failure_;
    int finds_ = 0;
};

}  // namespace warren::testing
