#pragma once
// The check-flags rules: one component's flag against another's, on what gather() read.
#include <vector>

#include "check_flags/gather.hpp"
#include "plan/rules.hpp"

namespace warren::check_flags {

// Rule ids: invalid-value, service-range-mismatch, cluster-cidr-mismatch, dual-stack-order,
// dual-stack-families, pod-cidr-outside-cluster-cidr, pod-cidr-mask, cluster-dns-outside-
// service-range, cluster-dns-is-network-address, node-ip-in-pod-range, node-ip-in-service-range,
// node-mask-vs-cluster-cidr, node-mask-vs-max-pods; plus notes (flag-unset). Errors first, then
// warnings, then notes; `observed.findings` (read problems) are not repeated.
std::vector<plan::Finding> check(const Observed& observed);

}  // namespace warren::check_flags
