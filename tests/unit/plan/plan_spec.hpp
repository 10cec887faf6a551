#pragma once
// A ClusterPlan from text, for tables of cases.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "plan/input.hpp"
#include "plan/rules.hpp"

namespace warren::plan::testing {

struct Spec {
    std::string cluster, service, node;
    std::optional<int> mask4, mask6;
    std::optional<uint32_t> max_pods;
    std::optional<uint64_t> nodes;
};

inline std::vector<IpPrefix> cidrs(const std::string& text) {
    if (text.empty()) return {};
    auto list = parse_cidr_list(text, "test");
    EXPECT_TRUE(list.has_value()) << text;
    return list.value_or(std::vector<IpPrefix>{});
}

inline ClusterPlan make_plan(const Spec& s) {
    ClusterPlan p;
    p.cluster_cidrs = cidrs(s.cluster);
    p.service_cidrs = cidrs(s.service);
    p.node_networks = cidrs(s.node);
    p.node_mask_v4 = s.mask4;
    p.node_mask_v6 = s.mask6;
    p.max_pods = s.max_pods;
    p.nodes = s.nodes;
    return p;
}

inline const Finding* find_rule(const std::vector<Finding>& list, const std::string& rule) {
    auto it =
        std::find_if(list.begin(), list.end(), [&](const Finding& f) { return f.rule == rule; });
    return it == list.end() ? nullptr : &*it;
}

inline size_t errors(const std::vector<Finding>& list) {
    return std::count_if(list.begin(), list.end(),
                         [](const Finding& f) { return f.severity == Severity::error; });
}

}  // namespace warren::plan::testing
