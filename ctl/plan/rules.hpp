#pragma once
// Address planning (issue 10): the cluster-IPAM rules as pure functions. Flags in, capacity and
// findings out; no files, no agent. `warrenctl plan` fills ClusterPlan from flags or a cluster
// file; `warrenctl check-flags` fills it from the components' configuration and adds its own
// consistency findings (one component's flag against another's) with the same Finding type.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "warren/ip.hpp"

namespace warren::plan {

enum class Severity { error, warning, note };
std::string_view severity_name(Severity s);  // "error" | "warning" | "note"

struct Finding {
    Severity severity = Severity::note;
    std::string rule;    // stable id for scripts and tests, e.g. "node-mask-vs-max-pods"
    std::string reason;  // one line: what is wrong, with the numbers
    std::string fix;     // one line: the flag and value that fixes it ("" when none)
};

// One cluster as the kube components' flags describe it. Dual-stack: one prefix per family.
struct ClusterPlan {
    std::string name;                       // "" for a plan from flags
    std::vector<IpPrefix> cluster_cidrs;    // --cluster-cidr (controller manager)
    std::vector<IpPrefix> service_cidrs;    // --service-cluster-ip-range / --service-cidr
    std::vector<IpPrefix> node_networks;    // --node-network: where node IPs live
    std::optional<int> node_mask_v4, node_mask_v6;  // --node-cidr-mask-size[-ipv4|-ipv6]
    std::optional<uint32_t> max_pods;       // --max-pods (kubelet maxPods; default 110)
    std::optional<uint64_t> nodes;          // --nodes: how many nodes are planned
};

// Per family: what the plan holds. Counts saturate (huge IPv6 prefixes) rather than overflow;
// `saturated` says so and renderers print "≥ 2^127" or similar.
struct FamilyCapacity {
    Family family = Family::v4;
    IpPrefix cluster_cidr;
    int node_mask = 0;
    u128 nodes_max = 0;          // node CIDRs the cluster CIDR holds
    u128 pods_per_node = 0;      // usable pod addresses in one node CIDR
    u128 service_ips = 0;        // usable addresses of the service range of this family, 0 if none
    std::optional<int64_t> node_headroom;  // nodes_max - nodes when --nodes was given (may be < 0)
    bool saturated = false;
};

struct PlanReport {
    std::vector<FamilyCapacity> capacity;
    std::vector<Finding> findings;  // errors first, then warnings, then notes
};

// Usable pod addresses in one node CIDR of `node_mask` bits, as Kubernetes counts them: IPv4
// 2^(32-mask) - 2 (network and broadcast; /31: 2, /32: 1), IPv6 2^(128-mask) - 1 (the
// network address), saturating at 2^127. 0 for a mask outside 0..32 / 0..128.
u128 pods_per_node(Family family, int node_mask);
// The longest node mask whose pods_per_node holds `pods` (e.g. v4 110 -> 25, 254 -> 24,
// 300 -> 23); nullopt when even /0 cannot.
std::optional<int> mask_for_pods(Family family, uint64_t pods);

// Every single-cluster rule (mask vs max-pods, node count vs cluster CIDR, service/pod/node
// overlaps, dual-stack pairing, /31-/32 edge cases, defaults noted). Rule ids: no-cluster-cidr,
// cluster-cidr-families, service-cidr-families, node-mask-family, node-mask-invalid,
// node-mask-diff, node-mask-vs-max-pods, node-count (error, or warning under 10 % headroom),
// service-range-too-large, service-range-too-small, service-family-mismatch (error for a
// service family without pods, warning for pods without services), service-overlaps-pods,
// service-overlaps-node-network, pods-overlap-node-network (errors); node-mask-point-to-point
// (warning); node-mask-tight, node-mask-default, max-pods-default, max-pods-above-110,
// no-service-cidr (notes). Fix texts name the single-stack flag (--node-cidr-mask-size) or the
// per-family one when the cluster CIDR is dual-stack.
PlanReport check_cluster(const ClusterPlan& plan);

// Every overlap between any two clusters' pod, service and node networks, named (rule
// clusters-overlap: error, warning when only node networks overlap). Overlaps inside one
// cluster are check_cluster's.
std::vector<Finding> check_overlaps(const std::vector<ClusterPlan>& clusters);

// The next free blocks of `prefix_len` inside `within` that overlap nothing in `clusters`
// (pod, service and node networks), lowest first: one for pods and one for services.
struct Suggestion {
    std::optional<IpPrefix> pod_cidr, service_cidr;
    std::string why_none;  // when a block could not be found
};
Suggestion suggest(const std::vector<ClusterPlan>& clusters, int prefix_len, const IpPrefix& within,
                   int service_prefix_len);

}  // namespace warren::plan
