// Between clusters: every overlap named, and the next free blocks for a new cluster.
#include <algorithm>
#include <string>

#include "plan/rules.hpp"

namespace warren::plan {

namespace {

struct Range {
    const IpPrefix* prefix;
    std::string kind;  // "pod CIDR", "service CIDR", "node network"
};

std::vector<Range> ranges_of(const ClusterPlan& c) {
    std::vector<Range> out;
    for (auto& p : c.cluster_cidrs) out.push_back({&p, "pod CIDR"});
    for (auto& p : c.service_cidrs) out.push_back({&p, "service CIDR"});
    for (auto& p : c.node_networks) out.push_back({&p, "node network"});
    return out;
}

std::string cluster_label(const ClusterPlan& c, size_t index) {
    if (!c.name.empty()) return "cluster " + c.name;
    return "cluster #" + std::to_string(index + 1);
}

// The lowest block of `len` in `within` that overlaps none of `used`.
std::optional<IpPrefix> next_free(const std::vector<IpPrefix>& used, int len,
                                  const IpPrefix& within) {
    const int bits = within.network().bits();
    const u128 end = within.last().value();
    const u128 step_mask = bits - len >= 128 ? ~u128{0} : (u128{1} << (bits - len)) - 1;
    u128 value = within.network().value();
    for (;;) {
        const IpPrefix candidate(IpAddress(within.family(), value), len);
        if (candidate.last().value() > end) return std::nullopt;
        const IpPrefix* hit = nullptr;
        for (auto& u : used)
            if (u.family() == within.family() && u.overlaps(candidate)) hit = &u;
        if (!hit) return candidate;
        // Past the overlapping range, aligned up to the block size.
        const u128 past = hit->last().value();
        if (past >= end) return std::nullopt;
        value = ((past + 1) + step_mask) & ~step_mask;
        if (value == 0 || value > end) return std::nullopt;
    }
}

}  // namespace

std::vector<Finding> check_overlaps(const std::vector<ClusterPlan>& clusters) {
    std::vector<Finding> out;
    for (size_t i = 0; i < clusters.size(); ++i) {
        const auto a = ranges_of(clusters[i]);
        for (size_t j = i + 1; j < clusters.size(); ++j) {
            for (auto& x : a)
                for (auto& y : ranges_of(clusters[j])) {
                    if (!x.prefix->overlaps(*y.prefix)) continue;
                    // Two clusters on one node network is a choice; pod or service ranges
                    // that overlap break routing between them.
                    const bool nodes_only = x.kind == "node network" && y.kind == "node network";
                    const std::string bj = cluster_label(clusters[j], j);
                    out.push_back(Finding{
                        nodes_only ? Severity::warning : Severity::error, "clusters-overlap",
                        cluster_label(clusters[i], i) + "'s " + x.kind + " " + x.prefix->str() +
                            " overlaps " + bj + "'s " + y.kind + " " + y.prefix->str(),
                        nodes_only ? "fine if they share that network on purpose; otherwise give " +
                                         bj + " its own"
                                   : "give " + bj +
                                         " a free range (warrenctl plan --clusters FILE "
                                         "--suggest /LEN --within SUPERNET)"});
                }
        }
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const Finding& a, const Finding& b) { return a.severity < b.severity; });
    return out;
}

Suggestion suggest(const std::vector<ClusterPlan>& clusters, int prefix_len, const IpPrefix& within,
                   int service_prefix_len) {
    Suggestion s;
    const int bits = within.network().bits();
    for (int len : {prefix_len, service_prefix_len}) {
        if (len < within.length() || len > bits) {
            s.why_none = "a /" + std::to_string(len) + " block does not fit in " + within.str() +
                         " (lengths " + std::to_string(within.length()) + " to " +
                         std::to_string(bits) + ")";
            return s;
        }
    }
    std::vector<IpPrefix> used;
    for (auto& c : clusters)
        for (auto& r : ranges_of(c)) used.push_back(*r.prefix);
    s.pod_cidr = next_free(used, prefix_len, within);
    if (!s.pod_cidr) {
        s.why_none =
            "no free /" + std::to_string(prefix_len) + " left in " + within.str() + " for pods";
        return s;
    }
    used.push_back(*s.pod_cidr);
    s.service_cidr = next_free(used, service_prefix_len, within);
    if (!s.service_cidr)
        s.why_none = "no free /" + std::to_string(service_prefix_len) + " left in " + within.str() +
                     " for services after " + s.pod_cidr->str();
    return s;
}

}  // namespace warren::plan
