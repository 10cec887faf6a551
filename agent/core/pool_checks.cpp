#include "core/pool_checks.hpp"

#include <algorithm>
#include <set>

namespace warren::core {

namespace {

const char* family_name(Family f) {
    return f == Family::v4 ? "IPv4" : "IPv6";
}

bool covers(const IpPrefix& outer, const IpPrefix& inner) {
    return outer.family() == inner.family() && outer.length() <= inner.length() &&
           outer.contains(inner.network());
}

bool is_host_route(const IpPrefix& p) {
    return p.length() == p.network().bits();
}

std::string head(const std::string& pool, const Range& r) {
    return "pool '" + pool + "' range " + describe({r}) + ": ";
}

struct Checker {
    const HostNetwork& host;
    const ClusterPlan& plan;
    std::vector<PoolWarning> out;

    void add(const std::string& pool, const Range& r, PoolWarningKind kind,
             const std::string& what) {
        out.push_back({pool, describe({r}), kind, head(pool, r) + what});
    }

    bool holds_gateway(const std::string& ifname, const Range& r) const {
        return std::any_of(host.addresses.begin(), host.addresses.end(), [&](const HostAddress& a) {
            return a.ifname == ifname && a.address == r.gateway;
        });
    }

    void check_host(const std::string& pool, const Range& r) {
        std::set<std::string> warned;  // interfaces already named for this range
        for (auto& a : host.addresses) {
            if (a.address.family() != r.subnet.family() || a.address == r.gateway) continue;
            const IpPrefix net(a.address, a.prefix_len);
            if (!net.overlaps(r.subnet)) continue;
            const std::string addr = cidr_string(a.address, a.prefix_len);
            if (r.subnet.contains(a.address))
                add(pool, r, PoolWarningKind::host_address,
                    "address " + addr + " on " + a.ifname +
                        " lies inside it, so a pod may get an address the host already uses; "
                        "remove it from " +
                        a.ifname + " or give the pool a range without it");
            else
                add(pool, r, PoolWarningKind::host_address,
                    "the network of address " + addr + " on " + a.ifname +
                        " covers it, so the node sends pod traffic out of " + a.ifname +
                        " instead of to the pods; give the pool a range outside " + net.str() +
                        " (the pod CIDR must not overlap the node network)");
            warned.insert(a.ifname);
        }
        for (auto& rt : host.routes) {
            const IpPrefix& d = rt.destination;
            if (d.family() != r.subnet.family() || !d.overlaps(r.subnet)) continue;
            if (d.length() < r.subnet.length())
                continue;                    // covers the whole range: default, cluster-wide
            if (is_host_route(d)) continue;  // a pod's host-side veth
            if (d == r.subnet && !rt.ifname.empty() && holds_gateway(rt.ifname, r)) continue;
            if (!rt.ifname.empty() && warned.contains(rt.ifname)) continue;
            const std::string where =
                rt.ifname.empty() ? "not to one interface" : "out of " + rt.ifname;
            add(pool, r, PoolWarningKind::host_route,
                "route " + d.str() + (rt.ifname.empty() ? "" : " dev " + rt.ifname) + " sends " +
                    (d == r.subnet ? "all" : "part") + " of it away from the pods (" + where +
                    "); remove the route (ip route del " + d.str() +
                    ") or give the pool a range it does not cover");
        }
    }

    void check_plan(const std::string& pool, const Range& r) {
        const Family fam = r.subnet.family();
        const auto& cc = plan.cluster_cidrs;
        if (!cc.empty() &&
            std::none_of(cc.begin(), cc.end(), [&](auto& c) { return covers(c, r.subnet); })) {
            std::string same;
            for (auto& c : cc)
                if (c.family() == fam) same += (same.empty() ? "" : ", ") + c.str();
            add(pool, r, PoolWarningKind::outside_cluster,
                same.empty()
                    ? "the cluster CIDRs (" + plan.cluster_from + ") have no " +
                          std::string(family_name(fam)) +
                          " CIDR, so the cluster does not route this range to the node; add the " +
                          family_name(fam) + " cluster CIDR or drop the range"
                    : "it lies outside the cluster CIDR " + same + " (" + plan.cluster_from +
                          "), so other nodes and kube-proxy do not treat it as pod addresses; give "
                          "the pool a range inside it or fix " +
                          plan.cluster_from);
        }
        for (auto& s : plan.service_cidrs)
            if (s.overlaps(r.subnet))
                add(pool, r, PoolWarningKind::service_overlap,
                    "it overlaps the service CIDR " + s.str() + " (" + plan.service_from +
                        "), so a pod address can be a Service's ClusterIP; give "
                        "the "
                        "pool a range outside the service range");
    }
};

}  // namespace

const char* to_string(PoolWarningKind k) {
    switch (k) {
        case PoolWarningKind::host_address:
            return "hostAddress";
        case PoolWarningKind::host_route:
            return "hostRoute";
        case PoolWarningKind::outside_cluster:
            return "outsideCluster";
        case PoolWarningKind::service_overlap:
            return "serviceOverlap";
    }
    return "unknown";
}

std::vector<PoolWarning> check_pools(const std::vector<PoolRanges>& pools, const HostNetwork& host,
                                     const ClusterPlan& plan) {
    Checker c{host, plan, {}};
    for (auto& p : pools)
        for (auto& set : p.sets)
            for (auto& r : set) {
                c.check_host(p.name, r);
                c.check_plan(p.name, r);
            }
    return std::move(c.out);
}

}  // namespace warren::core
