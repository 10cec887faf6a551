#pragma once
// The agent's pools against the node they run on and the cluster's address plan (issue 10 item
// 4). Pure: the host's addresses and routes come in as plain values (netcheck/ reads them).
//
// A warning is one line naming the pool, the range, what conflicts with it (with its interface)
// and the fix. What is the pool's own is no conflict: an address equal to a range's gateway (the
// bridge plugin's cni0, the ptp plugin's host veths), a route to exactly a range's subnet on an
// interface holding that gateway, a host route (/32, /128) inside the range (a pod's host-side
// veth), and any route that covers the whole range (the default route, a cluster-wide route).
#include <string>
#include <vector>

#include "core/range.hpp"
#include "warren/ip.hpp"

namespace warren::core {

struct HostAddress {
    std::string ifname;
    IpAddress address;
    int prefix_len = 0;
};

struct HostRoute {
    std::string
        ifname;  // the output interface; "" when the route names none (multipath, blackhole)
    IpPrefix destination;
};

struct HostNetwork {
    std::vector<HostAddress> addresses;
    std::vector<HostRoute> routes;  // the main table's
};

// kube-controller-manager's --cluster-cidr and kube-apiserver's --service-cluster-ip-range, as the
// agent's --cluster-cidr / --service-cidr (or kubeadm-config) give them; empty: not checked.
struct ClusterPlan {
    std::vector<IpPrefix> cluster_cidrs;
    std::vector<IpPrefix> service_cidrs;
    // Where each list came from, named in the warnings' reason and fix.
    std::string cluster_from = "--cluster-cidr";
    std::string service_from = "--service-cidr";
};

struct PoolRanges {
    std::string name;
    std::vector<RangeSet> sets;
};

enum class PoolWarningKind { host_address, host_route, outside_cluster, service_overlap };
const char* to_string(
    PoolWarningKind k);  // "hostAddress", "hostRoute", "outsideCluster", "serviceOverlap"

struct PoolWarning {
    std::string pool;
    std::string range;  // describe({range})
    PoolWarningKind kind;
    std::string message;  // the whole line, pool and range included
    bool operator==(const PoolWarning&) const = default;
};

// Every conflict of every range of `pools`, in pool, set, range order; an interface that both
// holds a conflicting address and routes the range gives one warning (the address's).
std::vector<PoolWarning> check_pools(const std::vector<PoolRanges>& pools, const HostNetwork& host,
                                     const ClusterPlan& plan);

}  // namespace warren::core
