#pragma once
// `warrenctl plan`'s output. --json prints plan_json's document:
//   {
//     "clusters": [{
//       "name": "prod",                  // "" for a plan from flags
//       "capacity": [{                   // one per family of the cluster CIDR
//         "family": "IPv4",              // or "IPv6"
//         "clusterCIDR": "10.244.0.0/16", "nodeMask": 24,
//         "nodesMax": 256,               // node CIDRs the cluster CIDR holds
//         "podsPerNode": 254,            // usable pod addresses per node CIDR
//         "maxPods": 110,                // as given, or the kubelet's default
//         "serviceCIDR": "10.96.0.0/12", // null when none of this family
//         "serviceIPs": 1048574,         // usable ClusterIPs, 0 when none
//         "nodes": 200,                  // null without --nodes / nodes:
//         "nodeHeadroom": 56,            // nodesMax - nodes, null without nodes (may be < 0)
//         "saturated": false             // a count hit 2^127 (huge IPv6 prefixes)
//       }],
//       "findings": [{"severity": "error", "rule": "node-mask-vs-max-pods",
//                     "reason": "...", "fix": "..."}]   // errors, warnings, notes
//     }],
//     "overlaps": [ findings between clusters ],
//     "suggestion": {"podCIDR": "10.3.0.0/16", "serviceCIDR": "10.4.0.0/20", "whyNone": ""},
//                                         // only with --suggest; a CIDR is null when none fits
//     "errors": 0, "warnings": 1, "notes": 2
//   }
// Counts are JSON numbers up to 2^64-1 and decimal strings above (IPv6).
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "plan/rules.hpp"

namespace warren::ctl {

struct PlanResult {
    std::vector<plan::ClusterPlan> clusters;
    std::vector<plan::PlanReport> reports;  // one per cluster, same order
    std::vector<plan::Finding> overlaps;
    std::optional<plan::Suggestion> suggestion;
};

nlohmann::json plan_json(const PlanResult& r);
// The capacity table and findings per cluster, the overlaps, the suggestion, a count line.
std::string render_plan(const PlanResult& r);
// Errors among all findings (the exit code is 1 when > 0).
size_t plan_errors(const PlanResult& r);

}  // namespace warren::ctl
