#include "netcheck/nl_host_network.hpp"

#include <linux/rtnetlink.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <sys/socket.h>

#include <map>
#include <optional>

#include "liveness/nl.hpp"

namespace warren::netcheck {

namespace {

struct CacheFree {
    void operator()(nl_cache* c) const noexcept { nl_cache_free(c); }
};
using Cache = std::unique_ptr<nl_cache, CacheFree>;

// An nl_addr as an IpAddress; nullopt for other families. An empty address (a default route's
// destination) is the family's zero.
std::optional<IpAddress> to_ip(nl_addr* a) {
    if (!a) return std::nullopt;
    const int fam = nl_addr_get_family(a);
    if (fam != AF_INET && fam != AF_INET6) return std::nullopt;
    const auto* bytes = static_cast<const unsigned char*>(nl_addr_get_binary_addr(a));
    const unsigned len = nl_addr_get_len(a);
    const unsigned want = fam == AF_INET ? 4 : 16;
    u128 v = 0;
    if (len == want)
        for (unsigned i = 0; i < len; ++i) v = (v << 8) | bytes[i];
    else if (len != 0)
        return std::nullopt;
    return IpAddress(fam == AF_INET ? Family::v4 : Family::v6, v);
}

class NlHostNetworkReader final : public HostNetworkReader {
  public:
    Result<core::HostNetwork> read() override {
        auto sock = liveness::nl::connect_route();
        if (!sock) return std::unexpected(sock.error());
        auto links =
            alloc([&](nl_cache** c) { return rtnl_link_alloc_cache(sock->get(), AF_UNSPEC, c); },
                  "cannot list links");
        if (!links) return std::unexpected(links.error());
        auto addrs = alloc([&](nl_cache** c) { return rtnl_addr_alloc_cache(sock->get(), c); },
                           "cannot list interface addresses");
        if (!addrs) return std::unexpected(addrs.error());
        auto routes = alloc(
            [&](nl_cache** c) { return rtnl_route_alloc_cache(sock->get(), AF_UNSPEC, 0, c); },
            "cannot list routes");
        if (!routes) return std::unexpected(routes.error());

        auto name_of = [&](int ifindex) {
            char buf[64] = {};
            if (ifindex > 0 && rtnl_link_i2name(links->get(), ifindex, buf, sizeof buf))
                return std::string(buf);
            return ifindex > 0 ? "ifindex " + std::to_string(ifindex) : std::string();
        };
        core::HostNetwork out;
        for (nl_object* o = nl_cache_get_first(addrs->get()); o; o = nl_cache_get_next(o)) {
            auto* a = reinterpret_cast<rtnl_addr*>(o);
            auto ip = to_ip(rtnl_addr_get_local(a));
            if (!ip) continue;
            out.addresses.push_back(
                {name_of(rtnl_addr_get_ifindex(a)), *ip, rtnl_addr_get_prefixlen(a)});
        }
        for (nl_object* o = nl_cache_get_first(routes->get()); o; o = nl_cache_get_next(o)) {
            auto* r = reinterpret_cast<rtnl_route*>(o);
            if (rtnl_route_get_table(r) != RT_TABLE_MAIN || rtnl_route_get_type(r) != RTN_UNICAST)
                continue;
            nl_addr* dst = rtnl_route_get_dst(r);
            auto ip = to_ip(dst);
            if (!ip) continue;
            std::string ifname;
            if (rtnl_route_get_nnexthops(r) == 1)
                if (rtnl_nexthop* nh = rtnl_route_nexthop_n(r, 0))
                    ifname = name_of(rtnl_route_nh_get_ifindex(nh));
            out.routes.push_back(
                {ifname, IpPrefix(*ip, static_cast<int>(nl_addr_get_prefixlen(dst)))});
        }
        return out;
    }

  private:
    template <class F>
    static Result<Cache> alloc(F f, const char* what) {
        nl_cache* raw = nullptr;
        const int err = f(&raw);
        Cache c{raw};
        if (err < 0) return std::unexpected(liveness::nl::error(what, err));
        return c;
    }
};

}  // namespace

std::unique_ptr<HostNetworkReader> make_nl_host_network_reader() {
    return std::make_unique<NlHostNetworkReader>();
}

}  // namespace warren::netcheck
