#pragma once
// Plans from what an operator types: comma-separated CIDR lists, the node-mask flags as
// kube-controller-manager takes them, and the cluster file of `warrenctl plan --clusters`.
// Errors are one line that names the value (and in the file, the cluster and key) and the fix.
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "plan/rules.hpp"

namespace warren::plan {

// "10.244.0.0/16,fd00:10:244::/56" -> both prefixes. `what` names the flag or key in errors.
std::expected<std::vector<IpPrefix>, std::string> parse_cidr_list(std::string_view text,
                                                                  std::string_view what);

// Fills node_mask_v4/-v6 from --node-cidr-mask-size (`any`, for a single-stack cluster only,
// as kube-controller-manager requires) and the per-family flags. Needs cluster_cidrs set.
std::expected<void, std::string> set_node_masks(ClusterPlan& plan, std::optional<int> any,
                                                std::optional<int> v4, std::optional<int> v6);

// The cluster file, YAML or JSON:
//   clusters:
//     - name: prod                       # required, unique
//       podCIDR: 10.244.0.0/16           # or podCIDRs: [v4, v6]; also "v4,v6"
//       serviceCIDR: 10.96.0.0/12        # or serviceCIDRs
//       nodeNetwork: 192.168.0.0/16      # or nodeNetworks
//       nodeCIDRMaskSize: 24             # or nodeCIDRMaskSizeIPv4 / nodeCIDRMaskSizeIPv6
//       maxPods: 110
//       nodes: 200
// Unknown keys are errors (a misspelt key would silently drop a check).
std::expected<std::vector<ClusterPlan>, std::string> parse_cluster_file(std::string_view text);

}  // namespace warren::plan
