#include "core/pool_checks.hpp"

#include <gtest/gtest.h>

namespace warren::core {
namespace {

IpPrefix pfx(const std::string& s) {
    return *IpPrefix::parse(s);
}

HostAddress addr(const std::string& ifname, const std::string& cidr) {
    const auto slash = cidr.find('/');
    return {ifname, *IpAddress::parse(cidr.substr(0, slash)), std::stoi(cidr.substr(slash + 1))};
}

std::vector<PoolRanges> pool_of(const std::vector<std::string>& cidrs) {
    return {{"default", *range_sets_from_cidrs(cidrs)}};
}

struct Case {
    const char* name;
    std::vector<std::string> pool;
    HostNetwork host;
    ClusterPlan plan;
    // Each expected warning: its kind and words its line must hold.
    std::vector<std::pair<PoolWarningKind, std::vector<std::string>>> want;
};

// The bridge plugin's normal setup (gateway on cni0, the kernel's route to the subnet, per-pod
// /32 or /128 routes as ptp makes them, the default route) and the host's own networks outside
// the pool: no warning.
std::vector<Case> clean_cases() {
    return {
        {"bridge v4",
         {"10.244.0.0/24"},
         {{addr("eth0", "192.168.1.10/24"), addr("cni0", "10.244.0.1/24"),
           addr("lo", "127.0.0.1/8")},
          {{"eth0", pfx("0.0.0.0/0")},
           {"eth0", pfx("192.168.1.0/24")},
           {"cni0", pfx("10.244.0.0/24")},
           {"flannel.1", pfx("10.244.1.0/24")},
           {"flannel.1", pfx("10.244.0.0/16")}}},
         {{pfx("10.244.0.0/16")}, {pfx("10.96.0.0/12")}},
         {}},
        {"bridge v6",
         {"fd00:10:244::/64"},
         {{addr("eth0", "2001:db8::10/64"), addr("cni0", "fd00:10:244::1/64"),
           addr("cni0", "fe80::1/64")},
          {{"eth0", pfx("::/0")}, {"cni0", pfx("fd00:10:244::/64")}, {"cni0", pfx("fe80::/64")}}},
         {{pfx("fd00:10:244::/56")}, {pfx("fd00:10:96::/112")}},
         {}},
        {"ptp v4 and v6",
         {"10.244.0.0/24", "fd00:10:244::/64"},
         {{addr("veth1", "10.244.0.1/32"), addr("veth2", "10.244.0.1/32"),
           addr("veth1", "fd00:10:244::1/128")},
          {{"veth1", pfx("10.244.0.2/32")},
           {"veth2", pfx("10.244.0.3/32")},
           {"veth1", pfx("fd00:10:244::2/128")}}},
         {{pfx("10.244.0.0/16"), pfx("fd00:10:244::/48")},
          {pfx("10.96.0.0/12"), pfx("fd00:10:96::/112")}},
         {}},
        {"no plan given", {"10.244.0.0/24"}, {}, {}, {}},
    };
}

std::vector<Case> conflict_cases() {
    using K = PoolWarningKind;
    return {
        {"v4 address inside the pool",
         {"10.244.0.0/24"},
         {{addr("dummy0", "10.244.0.77/24")}, {{"dummy0", pfx("10.244.0.0/24")}}},
         {},
         {{K::host_address,
           {"pool 'default'", "10.244.0.0/24", "10.244.0.77/24", "on dummy0", "remove it"}}}},
        {"v6 address inside the pool",
         {"fd00:10:244::/64"},
         {{addr("eth1", "fd00:10:244::99/64")}, {}},
         {},
         {{K::host_address, {"fd00:10:244::/64", "fd00:10:244::99/64", "on eth1"}}}},
        {"v4 node network covers the pool",
         {"10.244.0.0/24"},
         {{addr("eth0", "10.0.0.5/8")}, {{"eth0", pfx("10.0.0.0/8")}}},
         {},
         {{K::host_address, {"10.0.0.5/8", "on eth0", "outside 10.0.0.0/8"}}}},
        {"v6 node network covers the pool",
         {"fd00:10:244::/64"},
         {{addr("eth0", "fd00:10::5/32")}, {}},
         {},
         {{K::host_address, {"fd00:10::5/32", "on eth0", "outside fd00:10::/32"}}}},
        {"v4 route to part of the pool",
         {"10.244.0.0/24"},
         {{addr("cni0", "10.244.0.1/24")},
          {{"cni0", pfx("10.244.0.0/24")}, {"eth1", pfx("10.244.0.128/25")}}},
         {},
         {{K::host_route, {"route 10.244.0.128/25 dev eth1", "ip route del 10.244.0.128/25"}}}},
        {"v6 pool subnet routed to an interface without the gateway",
         {"fd00:10:244::/64"},
         {{}, {{"wg0", pfx("fd00:10:244::/64")}}},
         {},
         {{K::host_route, {"route fd00:10:244::/64 dev wg0"}}}},
        {"v4 outside the cluster CIDR",
         {"10.245.0.0/24"},
         {},
         {{pfx("10.244.0.0/16")}, {}},
         {{K::outside_cluster, {"outside the cluster CIDR 10.244.0.0/16", "--cluster-cidr"}}}},
        {"v6 wider than the cluster CIDR",
         {"fd00:10:244::/56"},
         {},
         {{pfx("10.244.0.0/16"), pfx("fd00:10:244::/64")}, {}},
         {{K::outside_cluster, {"outside the cluster CIDR fd00:10:244::/64"}}}},
        {"dual-stack pool, cluster CIDR only IPv4",
         {"10.244.0.0/24", "fd00:10:244::/64"},
         {},
         {{pfx("10.244.0.0/16")}, {}},
         {{K::outside_cluster, {"fd00:10:244::/64", "no IPv6 CIDR"}}}},
        {"v4 overlaps the service CIDR",
         {"10.96.0.0/24"},
         {},
         {{}, {pfx("10.96.0.0/12")}},
         {{K::service_overlap, {"10.96.0.0/24", "service CIDR 10.96.0.0/12", "--service-cidr"}}}},
        {"v6 overlaps the service CIDR",
         {"fd00:10:96::/64"},
         {},
         {{}, {pfx("10.96.0.0/12"), pfx("fd00:10:96::/112")}},
         {{K::service_overlap, {"service CIDR fd00:10:96::/112"}}}},
    };
}

void expect_case(const Case& c) {
    SCOPED_TRACE(c.name);
    const auto got = check_pools(pool_of(c.pool), c.host, c.plan);
    ASSERT_EQ(got.size(), c.want.size());
    for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].kind, c.want[i].first) << got[i].message;
        EXPECT_EQ(got[i].pool, "default");
        EXPECT_EQ(got[i].message.find('\n'), std::string::npos);
        EXPECT_EQ(got[i].message.rfind("pool 'default' range " + got[i].range + ": ", 0), 0u)
            << got[i].message;
        for (auto& word : c.want[i].second)
            EXPECT_NE(got[i].message.find(word), std::string::npos)
                << "'" << word << "' not in: " << got[i].message;
    }
}

TEST(PoolChecks, TheNormalSetupsGiveNoWarning) {
    for (auto& c : clean_cases()) expect_case(c);
}

TEST(PoolChecks, EachConflictGivesOneLine) {
    for (auto& c : conflict_cases()) expect_case(c);
}

TEST(PoolChecks, AnInterfaceWithAnAddressAndItsRouteIsNamedOnce) {
    const HostNetwork host{{addr("dummy0", "10.244.0.77/25")}, {{"dummy0", pfx("10.244.0.0/25")}}};
    const auto got = check_pools(pool_of({"10.244.0.0/24"}), host, {});
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].kind, PoolWarningKind::host_address);
}

TEST(PoolChecks, RangesInsideASubnetAreNamedAsRanges) {
    auto sets = parse_range_sets(nlohmann::json::parse(
        R"([[{"subnet": "10.244.0.0/24", "rangeStart": "10.244.0.10", "rangeEnd": "10.244.0.20"}]])"));
    ASSERT_TRUE(sets.has_value());
    const auto got = check_pools({{"p", *sets}}, {}, {{}, {pfx("10.244.0.0/16")}});
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].range, "10.244.0.10-10.244.0.20 in 10.244.0.0/24");
    EXPECT_EQ(got[0].pool, "p");
}

TEST(PoolChecks, KindsHaveJsonNames) {
    EXPECT_STREQ(to_string(PoolWarningKind::host_address), "hostAddress");
    EXPECT_STREQ(to_string(PoolWarningKind::host_route), "hostRoute");
    EXPECT_STREQ(to_string(PoolWarningKind::outside_cluster), "outsideCluster");
    EXPECT_STREQ(to_string(PoolWarningKind::service_overlap), "serviceOverlap");
}

}  // namespace
}  // namespace warren::core
