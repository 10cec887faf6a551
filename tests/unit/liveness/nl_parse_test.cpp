// Link notifications parsed without a socket: messages built by hand as the kernel sends them.
#include <gtest/gtest.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>
#include <string>
#include <vector>

#include "liveness/nl.hpp"

namespace warren::liveness {
namespace {

class Builder {
  public:
    explicit Builder(uint16_t type, int ifindex) {
        buf_.reserve(4096);
        buf_.resize(NLMSG_SPACE(sizeof(ifinfomsg)));
        auto* h = hdr();
        h->nlmsg_type = type;
        auto* ifi = static_cast<ifinfomsg*>(NLMSG_DATA(h));
        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = ifindex;
    }
    size_t attr(uint16_t type, const void* data, size_t len) {
        const size_t at = buf_.size();
        buf_.resize(at + RTA_SPACE(len));
        auto* rta = reinterpret_cast<rtattr*>(buf_.data() + at);
        rta->rta_type = type;
        rta->rta_len = static_cast<uint16_t>(RTA_LENGTH(len));
        if (len) std::memcpy(RTA_DATA(rta), data, len);
        return at;
    }
    void str(uint16_t type, const std::string& s) { attr(type, s.c_str(), s.size() + 1); }
    void u32(uint16_t type, uint32_t v) { attr(type, &v, sizeof v); }
    size_t begin_nest(uint16_t type) { return attr(type, nullptr, 0); }
    void end_nest(size_t at) {
        reinterpret_cast<rtattr*>(buf_.data() + at)->rta_len =
            static_cast<uint16_t>(buf_.size() - at);
    }
    nlmsghdr* done() {
        hdr()->nlmsg_len = static_cast<uint32_t>(buf_.size());
        return hdr();
    }

  private:
    nlmsghdr* hdr() { return reinterpret_cast<nlmsghdr*>(buf_.data()); }
    std::vector<char> buf_;
};

TEST(ParseLink, ReadsAHostSideVethNotification) {
    Builder b(RTM_NEWLINK, 42);
    b.str(IFLA_IFNAME, "veth1234");
    b.u32(IFLA_LINK, 3);
    b.u32(IFLA_LINK_NETNSID, 5);
    b.u32(IFLA_MASTER, 7);
    const size_t info = b.begin_nest(IFLA_LINKINFO);
    b.str(IFLA_INFO_KIND, "veth");
    b.end_nest(info);

    auto link = nl::parse_link(b.done());
    ASSERT_TRUE(link.has_value()) << link.error().describe();
    EXPECT_EQ(link->ifindex, 42);
    EXPECT_EQ(link->name, "veth1234");
    EXPECT_EQ(link->kind, "veth");
    EXPECT_EQ(link->link, 3);
    EXPECT_EQ(link->link_netnsid, 5);
    EXPECT_EQ(link->master, 7);
    EXPECT_TRUE(link->is_pod_facing_veth());
}

TEST(ParseLink, ReadsADeletionWithoutOptionalAttributes) {
    Builder b(RTM_DELLINK, 9);
    b.str(IFLA_IFNAME, "eth1");
    auto link = nl::parse_link(b.done());
    ASSERT_TRUE(link.has_value()) << link.error().describe();
    EXPECT_EQ(link->ifindex, 9);
    EXPECT_EQ(link->kind, "");
    EXPECT_EQ(link->link_netnsid, -1);
    EXPECT_FALSE(link->is_veth());
}

}  // namespace
}  // namespace warren::liveness
