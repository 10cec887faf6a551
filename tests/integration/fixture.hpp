#pragma once
// The fixture every privileged test uses. It owns, and removes even when a test fails, in this
// order: the netns it handed out, the agents (kill -9), the bridge, tmpfs mounts, the temp dir.
#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "agent_process.hpp"
#include "cni.hpp"
#include "netns.hpp"
#include "support/privileged.hpp"
#include "warren/ip.hpp"

namespace warren::it {

class IntegrationTest : public ::testing::Test {
protected:
    // The agent at <tmp>/agent (created on first use).
    Agent& agent() { return agent_named("agent"); }
    Agent& agent_named(const std::string& name) {
        for (auto& [n, a] : agents_)
            if (n == name) return *a;
        agents_.emplace_back(name, std::make_unique<Agent>(tmp_ / name));
        return *agents_.back().second;
    }

    // A fresh netns; on failure the test is marked failed (check ok()).
    Netns& new_netns() {
        netns_.push_back(std::make_unique<Netns>());
        EXPECT_TRUE(netns_.back()->ok()) << netns_.back()->error();
        return *netns_.back();
    }

    // This test's bridge name (wrb<pid>-<n>, at most 15 bytes); deleted in the destructor.
    const std::string& bridge_name() {
        if (!bridge_) bridge_ = std::make_unique<LinkGuard>(unique_name("wrb"));
        return bridge_->name();
    }

    TmpfsMount& mount_tmpfs(const std::string& dir, const std::string& size) {
        mounts_.push_back(std::make_unique<TmpfsMount>(dir, size));
        return *mounts_.back();
    }

    static CniCall call(const std::string& command, const std::string& container_id = {},
                        const std::string& netns = {}, const std::string& ifname = "eth0") {
        CniCall c;
        c.command = command;
        c.container_id = container_id;
        c.netns = netns;
        c.ifname = ifname;
        return c;
    }

    const std::string& tmp() const { return tmp_.path(); }
    std::string tmp(const std::string& rel) const { return tmp_ / rel; }

    // Declaration order is destruction order reversed: keep tmp_ first, netns_ last.
    TempDir tmp_;
    std::vector<std::unique_ptr<TmpfsMount>> mounts_;
    std::unique_ptr<LinkGuard> bridge_;
    std::vector<std::pair<std::string, std::unique_ptr<Agent>>> agents_;
    std::deque<std::unique_ptr<Netns>> netns_;
};

inline bool in_prefix(const std::string& addr, const std::string& prefix) {
    auto a = IpAddress::parse(strip_prefix(addr));
    auto p = IpPrefix::parse(prefix);
    return a && p && p->contains(*a);
}

// Every address of every result, for duplicate checks.
template <class Range>
std::multiset<std::string> all_addresses(const Range& results) {
    std::multiset<std::string> out;
    for (auto& r : results)
        for (auto& a : r) out.insert(strip_prefix(a));
    return out;
}

}  // namespace warren::it
