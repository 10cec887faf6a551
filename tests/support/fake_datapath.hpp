#pragma once
// Datapath for unit tests: FakeLivenessMaps plus a record of the tc hooks it was asked for. The
// state lives in a shared FakeDatapathState, so a test can look at it after the manager (and
// the datapath it owned) is gone, e.g. to see that exit left the filters attached.
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "liveness/datapath.hpp"
#include "support/fake_liveness_maps.hpp"

namespace warren::testing {

struct FakeDatapathState {
    FakeLivenessMaps maps;
    std::set<int> hooked;          // filters the datapath holds a hook for
    std::set<int> left_attached;   // hooks dropped by leave_attached(): filters still there
    std::vector<int> forgotten;    // hooks dropped by forget()
    std::set<int> vanishing;       // attach() finds these links gone
    std::map<int, Error> failing;  // attach() fails with this until erased
    int attach_calls = 0;
    std::optional<Error> stats_failure;
    liveness::Stats stats{.watched = 7, .strangers = 2, .ignored = 1, .truncated = 0};
    liveness::GuardMaps* guard_maps = nullptr;  // what guard() returns (the test owns it)
};

class FakeDatapath final : public liveness::Datapath {
  public:
    explicit FakeDatapath(std::shared_ptr<FakeDatapathState> state) : s_(std::move(state)) {}

    liveness::LivenessMaps& maps() override { return s_->maps; }
    liveness::GuardMaps* guard() override { return s_->guard_maps; }
    Result<bool> attach(int ifindex) override {
        ++s_->attach_calls;
        if (auto it = s_->failing.find(ifindex); it != s_->failing.end())
            return std::unexpected(it->second);
        if (s_->vanishing.contains(ifindex)) return false;
        s_->hooked.insert(ifindex);
        return true;
    }
    void forget(int ifindex) override {
        if (s_->hooked.erase(ifindex)) s_->forgotten.push_back(ifindex);
    }
    void leave_attached() override {
        s_->left_attached.insert(s_->hooked.begin(), s_->hooked.end());
        s_->hooked.clear();
    }
    Result<liveness::Stats> stats() const override {
        if (s_->stats_failure) return std::unexpected(*s_->stats_failure);
        return s_->stats;
    }

  private:
    std::shared_ptr<FakeDatapathState> s_;
};

}  // namespace warren::testing
