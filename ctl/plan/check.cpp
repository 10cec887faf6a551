// check_cluster: every single-cluster rule. Limits quoted from Kubernetes' sources are cited
// where they are applied.
#include <algorithm>
#include <limits>
#include <string>

#include "plan/rules.hpp"

namespace warren::plan {

namespace {

std::string family_name(Family f) {
    return f == Family::v4 ? "IPv4" : "IPv6";
}

int family_bits(Family f) {
    return f == Family::v4 ? 32 : 128;
}

std::string mask_flag(Family f, bool dual_stack) {
    if (!dual_stack) return "--node-cidr-mask-size";
    return f == Family::v4 ? "--node-cidr-mask-size-ipv4" : "--node-cidr-mask-size-ipv6";
}

// 2^bits, saturating at 2^127 like IpPrefix::size().
u128 power_of_two(int bits) {
    if (bits >= 127) return u128{1} << 127;
    return u128{1} << bits;
}

// Usable ClusterIPs: the allocator never hands out the network address, nor the IPv4
// broadcast address.
u128 service_ips(const IpPrefix& p) {
    const u128 size = p.size();
    if (p.family() == Family::v6) return size - 1;
    return size > 2 ? size - 2 : 0;
}

const IpPrefix* of_family(const std::vector<IpPrefix>& list, Family f) {
    for (auto& p : list)
        if (p.family() == f) return &p;
    return nullptr;
}

Finding make(Severity s, std::string rule, std::string reason, std::string fix = {}) {
    return Finding{s, std::move(rule), std::move(reason), std::move(fix)};
}

// One prefix per family at most (kube components take "v4,v6" or "v6,v4").
void check_pairing(const std::vector<IpPrefix>& list, const std::string& flag,
                   const std::string& rule, std::vector<Finding>& out) {
    if (list.size() > 2)
        out.push_back(make(Severity::error, rule,
                           flag + " has " + std::to_string(list.size()) +
                               " CIDRs; Kubernetes takes one, or one per family for dual-stack",
                           flag + " with one IPv4 and/or one IPv6 CIDR, comma-separated"));
    else if (list.size() == 2 && list[0].family() == list[1].family())
        out.push_back(make(Severity::error, rule,
                           flag + " " + list[0].str() + "," + list[1].str() + " has two " +
                               family_name(list[0].family()) +
                               " CIDRs; a dual-stack pair needs one of each family",
                           flag + " with one IPv4 and one IPv6 CIDR"));
}

void check_overlap(const std::vector<IpPrefix>& a, const std::string& a_name,
                   const std::vector<IpPrefix>& b, const std::string& b_name,
                   const std::string& rule, const std::string& fix, std::vector<Finding>& out) {
    for (auto& x : a)
        for (auto& y : b)
            if (x.overlaps(y))
                out.push_back(make(Severity::error, rule,
                                   a_name + " " + x.str() + " overlaps " + b_name + " " + y.str(),
                                   fix));
}

// The shortest cluster prefix length whose node CIDRs of `mask` hold `nodes` with 10 % left.
int cluster_len_for(int mask, uint64_t nodes) {
    const u128 want = (u128{nodes} * 10 + 8) / 9;
    int bits = 0;
    while (bits < 127 && power_of_two(bits) < want) ++bits;
    return mask - bits;
}

void check_family(const ClusterPlan& plan, const IpPrefix& cidr, bool dual_stack, uint64_t max_pods,
                  PlanReport& report) {
    auto& out = report.findings;
    const Family f = cidr.family();
    const int bits = family_bits(f);
    const std::string flag = mask_flag(f, dual_stack);
    const std::optional<int> given = f == Family::v4 ? plan.node_mask_v4 : plan.node_mask_v6;
    // kube-controller-manager's defaults: --node-cidr-mask-size-ipv4 24, -ipv6 64.
    const int mask = given.value_or(f == Family::v4 ? 24 : 64);
    if (!given)
        out.push_back(make(Severity::note, "node-mask-default",
                           family_name(f) +
                               " node mask not given: kube-controller-manager's "
                               "default /" +
                               std::to_string(mask) + " is assumed",
                           flag + " " + std::to_string(mask) + " to make it explicit"));

    FamilyCapacity cap;
    cap.family = f;
    cap.cluster_cidr = cidr;
    cap.node_mask = mask;
    if (const IpPrefix* svc = of_family(plan.service_cidrs, f)) cap.service_ips = service_ips(*svc);

    if (mask < 0 || mask > bits || mask < cidr.length()) {
        const std::string why = mask > bits ? "longer than an " + family_name(f) + " address"
                                            : "shorter than the cluster CIDR " + cidr.str();
        out.push_back(make(
            Severity::error, "node-mask-invalid",
            flag + " " + std::to_string(mask) + " is " + why +
                ": the controller manager cannot cut node CIDRs from it",
            flag + " between " + std::to_string(cidr.length()) + " and " + std::to_string(bits)));
        report.capacity.push_back(cap);
        return;
    }
    cap.pods_per_node = pods_per_node(f, mask);
    cap.nodes_max = power_of_two(mask - cidr.length());
    cap.saturated = mask - cidr.length() >= 127 || bits - mask >= 127;

    // kube-controller-manager, pkg/controller/nodeipam/ipam/cidrset/cidr_set.go:
    // "The subnet mask size cannot be greater than 16 more than the cluster mask size"
    // (clusterSubnetMaxDiff = 16, the uncompressed bitmap); it refuses to start otherwise.
    if (mask - cidr.length() > 16) {
        const int shortest = mask - 16;
        out.push_back(make(Severity::error, "node-mask-diff",
                           flag + " " + std::to_string(mask) + " is " +
                               std::to_string(mask - cidr.length()) +
                               " bits longer than the cluster CIDR " + cidr.str() +
                               "; kube-controller-manager allows at most 16 (it refuses to start)",
                           "--cluster-cidr " + IpPrefix(cidr.network(), shortest).str() + " or " +
                               flag + " " + std::to_string(cidr.length() + 16)));
    }

    const u128 pods = cap.pods_per_node;
    if (pods < max_pods) {
        auto need = mask_for_pods(f, max_pods);
        out.push_back(make(
            Severity::error, "node-mask-vs-max-pods",
            flag + " " + std::to_string(mask) + " gives " + u128_str(pods) +
                " pod addresses per node, max-pods " + std::to_string(max_pods) +
                (need ? " needs /" + std::to_string(*need) : " cannot fit in any node CIDR"),
            need ? flag + " " + std::to_string(*need) + " (or --max-pods " + u128_str(pods) + ")"
                 : "--max-pods " + u128_str(pods)));
    } else if (pods < u128{max_pods} * 2) {
        // warrend quarantines a released address before reuse, and pods churn: a node CIDR
        // barely larger than max-pods runs dry under churn. Providers size it at about 2x.
        auto roomy = mask_for_pods(f, max_pods * 2);
        out.push_back(make(Severity::note, "node-mask-tight",
                           flag + " " + std::to_string(mask) + " gives " + u128_str(pods) +
                               " pod addresses per node for max-pods " + std::to_string(max_pods) +
                               ": less than twice, little room for addresses in quarantine",
                           roomy ? flag + " " + std::to_string(*roomy) : std::string()));
    }
    if (bits - mask <= 1)
        out.push_back(make(Severity::warning, "node-mask-point-to-point",
                           flag + " " + std::to_string(mask) + " gives each node " +
                               u128_str(pods) + " pod address" + (pods == 1 ? "" : "es"),
                           "a node mask of /" + std::to_string(bits - 8) + " or shorter"));

    if (plan.nodes) {
        const uint64_t nodes = *plan.nodes;
        const u128 max = cap.nodes_max;
        constexpr auto kMax = std::numeric_limits<int64_t>::max();
        const u128 left = max > nodes ? max - nodes : 0;
        if (max >= nodes)
            cap.node_headroom = left > u128(kMax) ? kMax : static_cast<int64_t>(left);
        else
            cap.node_headroom =
                -static_cast<int64_t>(std::min<uint64_t>(nodes - uint64_t(max), kMax));
        const std::string held = "cluster CIDR " + cidr.str() + " with /" + std::to_string(mask) +
                                 " node CIDRs holds " + u128_str(max) + " nodes";
        const int len = cluster_len_for(mask, nodes);
        const std::string fix = len >= 0 ? "--cluster-cidr " + IpPrefix(cidr.network(), len).str() +
                                               " (" + u128_str(power_of_two(mask - len)) + " nodes)"
                                         : "a longer " + flag;
        if (max < nodes)
            out.push_back(make(Severity::error, "node-count",
                               held + ", " + std::to_string(nodes) + " are planned", fix));
        else if (left * 10 < max)
            out.push_back(make(Severity::warning, "node-count",
                               held + ", " + std::to_string(nodes) + " planned leave " +
                                   u128_str(left) + " (< 10 %)",
                               fix));
    }
    report.capacity.push_back(cap);
}

void check_services(const ClusterPlan& plan, std::vector<Finding>& out) {
    for (auto& s : plan.service_cidrs) {
        const Family f = s.family();
        const int bits = family_bits(f);
        // kube-apiserver: "specified --service-cluster-ip-range is too large; for 32-bit
        // addresses, the mask must be >= 12" (128-bit: >= 108): at most 20 host bits
        // (pkg/controlplane/apiserver/options/validation.go, maxCIDRBits = 20).
        if (bits - s.length() > 20) {
            const int min = bits - 20;
            out.push_back(make(Severity::error, "service-range-too-large",
                               "--service-cidr " + s.str() + " is larger than /" +
                                   std::to_string(min) + "; kube-apiserver refuses " +
                                   family_name(f) + " service ranges larger than /" +
                                   std::to_string(min),
                               "--service-cidr " + IpPrefix(s.network(), min).str()));
        }
        const u128 ips = service_ips(s);
        if (ips < 2)
            out.push_back(
                make(Severity::error, "service-range-too-small",
                     "--service-cidr " + s.str() + " holds " + u128_str(ips) +
                         " usable ClusterIPs; the kubernetes Service and cluster DNS "
                         "need 2 at least",
                     "--service-cidr " + IpPrefix(s.network(), f == Family::v4 ? 24 : 112).str()));
        if (!of_family(plan.cluster_cidrs, f) && !plan.cluster_cidrs.empty())
            out.push_back(
                make(Severity::error, "service-family-mismatch",
                     "--service-cidr has " + family_name(f) + " " + s.str() +
                         " but --cluster-cidr has no " + family_name(f) +
                         " CIDR: those Services would have no pods to reach",
                     "add an " + family_name(f) + " CIDR to --cluster-cidr, or drop " + s.str()));
    }
    if (plan.service_cidrs.empty()) return;
    for (auto& c : plan.cluster_cidrs)
        if (!of_family(plan.service_cidrs, c.family()))
            out.push_back(make(Severity::warning, "service-family-mismatch",
                               "--cluster-cidr has " + family_name(c.family()) + " " + c.str() +
                                   " but --service-cidr has no " + family_name(c.family()) +
                                   " range: Services get no " + family_name(c.family()) +
                                   " ClusterIPs",
                               "add an " + family_name(c.family()) + " range to --service-cidr"));
}

}  // namespace

PlanReport check_cluster(const ClusterPlan& plan) {
    PlanReport report;
    auto& out = report.findings;
    // The kubelet's default maxPods.
    constexpr uint64_t kDefaultMaxPods = 110;
    const uint64_t max_pods = plan.max_pods.value_or(kDefaultMaxPods);
    if (!plan.max_pods)
        out.push_back(make(Severity::note, "max-pods-default",
                           "max-pods not given: the kubelet's default 110 is assumed",
                           "--max-pods N to plan for another value"));
    else if (*plan.max_pods > kDefaultMaxPods)
        out.push_back(make(Severity::note, "max-pods-above-110",
                           "max-pods " + std::to_string(*plan.max_pods) +
                               " is above 110, the most Kubernetes tests per node"));

    if (plan.cluster_cidrs.empty())
        out.push_back(make(Severity::error, "no-cluster-cidr",
                           "no cluster CIDR: nothing to cut node CIDRs from",
                           "--cluster-cidr CIDR (kube-controller-manager's, e.g. 10.244.0.0/16)"));
    check_pairing(plan.cluster_cidrs, "--cluster-cidr", "cluster-cidr-families", out);
    check_pairing(plan.service_cidrs, "--service-cidr", "service-cidr-families", out);
    const bool dual_stack = plan.cluster_cidrs.size() == 2;
    for (auto [f, mask] :
         {std::pair{Family::v4, plan.node_mask_v4}, {Family::v6, plan.node_mask_v6}})
        if (mask && !plan.cluster_cidrs.empty() && !of_family(plan.cluster_cidrs, f))
            out.push_back(make(Severity::error, "node-mask-family",
                               "an " + family_name(f) + " node mask /" + std::to_string(*mask) +
                                   " is given but --cluster-cidr has no " + family_name(f) +
                                   " CIDR",
                               "add an " + family_name(f) + " CIDR to --cluster-cidr, or drop " +
                                   mask_flag(f, true)));
    if (plan.service_cidrs.empty())
        out.push_back(make(Severity::note, "no-service-cidr",
                           "no service CIDR: the service range is not checked",
                           "--service-cidr CIDR (kube-apiserver's --service-cluster-ip-range)"));

    for (auto& c : plan.cluster_cidrs) check_family(plan, c, dual_stack, max_pods, report);
    check_services(plan, out);
    check_overlap(plan.service_cidrs, "service CIDR", plan.cluster_cidrs, "cluster CIDR",
                  "service-overlaps-pods", "move --service-cidr out of --cluster-cidr", out);
    check_overlap(plan.service_cidrs, "service CIDR", plan.node_networks, "node network",
                  "service-overlaps-node-network", "move --service-cidr out of the node network",
                  out);
    check_overlap(plan.cluster_cidrs, "cluster CIDR", plan.node_networks, "node network",
                  "pods-overlap-node-network", "move --cluster-cidr out of the node network", out);

    std::stable_sort(out.begin(), out.end(),
                     [](const Finding& a, const Finding& b) { return a.severity < b.severity; });
    return report;
}

}  // namespace warren::plan
