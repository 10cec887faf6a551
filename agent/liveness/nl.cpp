#include "liveness/nl.hpp"

#include <linux/net_namespace.h>
#include <linux/rtnetlink.h>
#include <netlink/cache.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/socket.h>

namespace warren::liveness::nl {
namespace {

struct CacheFree {
    void operator()(nl_cache* c) const noexcept { nl_cache_free(c); }
};
struct LinkPut {
    void operator()(rtnl_link* l) const noexcept { rtnl_link_put(l); }
};
struct MsgFree {
    void operator()(nl_msg* m) const noexcept { nlmsg_free(m); }
};
struct CbPut {
    void operator()(nl_cb* c) const noexcept { nl_cb_put(c); }
};

LinkInfo to_info(rtnl_link* l) {
    LinkInfo info;
    info.ifindex = rtnl_link_get_ifindex(l);
    if (const char* name = rtnl_link_get_name(l)) info.name = name;
    if (const char* kind = rtnl_link_get_type(l)) info.kind = kind;
    info.link = rtnl_link_get_link(l);
    int32_t nsid = -1;
    if (rtnl_link_get_link_netnsid(l, &nsid) == 0) info.link_netnsid = nsid;
    info.master = rtnl_link_get_master(l);
    return info;
}

}  // namespace

void SockFree::operator()(nl_sock* s) const noexcept {
    nl_socket_free(s);
}

Error error(std::string what, int nl_err) {
    return Error{Code::io, std::move(what) + ": " + nl_geterror(nl_err), {}, 0};
}

Result<Sock> connect_route() {
    static const bool quiet = (nl_debug = 0, true);  // once, before any socket of ours
    (void)quiet;
    Sock sock{nl_socket_alloc()};
    if (!sock) return fail(Code::io, "cannot allocate a netlink socket: out of memory");
    if (int err = nl_connect(sock.get(), NETLINK_ROUTE); err < 0)
        return std::unexpected(error("cannot open a netlink route socket", err));
    return sock;
}

Result<std::optional<LinkInfo>> get_link(nl_sock* sock, int ifindex, const std::string& name) {
    rtnl_link* raw = nullptr;
    int err = rtnl_link_get_kernel(sock, ifindex, name.empty() ? nullptr : name.c_str(), &raw);
    std::unique_ptr<rtnl_link, LinkPut> link{raw};
    if (err == -NLE_NODEV || err == -NLE_OBJ_NOTFOUND || (err >= 0 && !raw)) return std::nullopt;
    if (err < 0) {
        const std::string which = ifindex ? "ifindex " + std::to_string(ifindex) : "'" + name + "'";
        return std::unexpected(error("cannot query link " + which, err));
    }
    return to_info(link.get());
}

Result<std::vector<LinkInfo>> list_links(nl_sock* sock) {
    nl_cache* raw = nullptr;
    int err = rtnl_link_alloc_cache(sock, AF_UNSPEC, &raw);
    std::unique_ptr<nl_cache, CacheFree> cache{raw};
    if (err < 0) return std::unexpected(error("cannot list links", err));
    std::vector<LinkInfo> out;
    for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o))
        out.push_back(to_info(reinterpret_cast<rtnl_link*>(o)));
    return out;
}

Result<int> netns_id(nl_sock* sock, int netns_fd) {
    std::unique_ptr<nl_msg, MsgFree> msg{nlmsg_alloc_simple(RTM_GETNSID, NLM_F_REQUEST)};
    if (!msg) return fail(Code::io, "cannot build RTM_GETNSID: out of memory");
    rtgenmsg gen{};
    gen.rtgen_family = AF_UNSPEC;
    if (nlmsg_append(msg.get(), &gen, sizeof gen, NLMSG_ALIGNTO) < 0 ||
        nla_put_u32(msg.get(), NETNSA_FD, static_cast<uint32_t>(netns_fd)) < 0)
        return fail(Code::io, "cannot build RTM_GETNSID: message too small");
    if (int err = nl_send_auto(sock, msg.get()); err < 0)
        return std::unexpected(error("cannot send RTM_GETNSID", err));

    struct Answer {
        bool seen = false;
        int id = -1;
    } answer;
    std::unique_ptr<nl_cb, CbPut> cb{nl_cb_alloc(NL_CB_DEFAULT)};
    if (!cb) return fail(Code::io, "cannot allocate a netlink callback: out of memory");
    auto on_valid = [](nl_msg* m, void* arg) -> int {
        auto* a = static_cast<Answer*>(arg);
        nlattr* tb[NETNSA_MAX + 1] = {};
        if (nlmsg_hdr(m)->nlmsg_type != RTM_NEWNSID ||
            nlmsg_parse(nlmsg_hdr(m), sizeof(rtgenmsg), tb, NETNSA_MAX, nullptr) < 0)
            return NL_SKIP;
        a->seen = true;
        if (tb[NETNSA_NSID]) a->id = nla_get_s32(tb[NETNSA_NSID]);
        return NL_OK;
    };
    nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, on_valid, &answer);
    if (int err = nl_recvmsgs(sock, cb.get()); err < 0)
        return std::unexpected(error("RTM_GETNSID failed", err));
    if (!answer.seen) return fail(Code::io, "RTM_GETNSID: the kernel sent no answer");
    if (int err = nl_wait_for_ack(sock); err < 0)
        return std::unexpected(error("RTM_GETNSID failed", err));
    return answer.id;
}

Result<std::optional<LinkInfo>> get_link_in(nl_sock* sock, int nsid, const std::string& name) {
    const std::string what = "cannot query link '" + name + "' in netns id " + std::to_string(nsid);
    std::unique_ptr<nl_msg, MsgFree> msg{nlmsg_alloc_simple(RTM_GETLINK, NLM_F_REQUEST)};
    if (!msg) return fail(Code::io, what + ": out of memory");
    ifinfomsg ifi{};
    ifi.ifi_family = AF_UNSPEC;
    if (nlmsg_append(msg.get(), &ifi, sizeof ifi, NLMSG_ALIGNTO) < 0 ||
        nla_put_string(msg.get(), IFLA_IFNAME, name.c_str()) < 0 ||
        nla_put_s32(msg.get(), IFLA_TARGET_NETNSID, nsid) < 0)
        return fail(Code::io, what + ": message too small");
    if (int err = nl_send_auto(sock, msg.get()); err < 0) return std::unexpected(error(what, err));
    struct Answer {
        std::optional<LinkInfo> link;
    } answer;
    std::unique_ptr<nl_cb, CbPut> cb{nl_cb_alloc(NL_CB_DEFAULT)};
    if (!cb) return fail(Code::io, "cannot allocate a netlink callback: out of memory");
    auto on_valid = [](nl_msg* m, void* arg) -> int {
        if (nlmsg_hdr(m)->nlmsg_type != RTM_NEWLINK) return NL_SKIP;
        auto parsed = parse_link(nlmsg_hdr(m));
        if (parsed) static_cast<Answer*>(arg)->link = std::move(*parsed);
        return NL_OK;
    };
    nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, on_valid, &answer);
    int err = nl_recvmsgs(sock, cb.get());
    if (err == -NLE_NODEV || err == -NLE_OBJ_NOTFOUND) return std::nullopt;
    if (err < 0) return std::unexpected(error(what, err));
    // The kernel's ACK follows the answer (libnl asks for one); left unread, the socket's next
    // request would take it for its own answer.
    if (err = nl_wait_for_ack(sock); err < 0) return std::unexpected(error(what, err));
    return std::move(answer.link);
}

Result<LinkInfo> parse_link(nlmsghdr* hdr) {
    std::unique_ptr<nl_msg, MsgFree> msg{nlmsg_convert(hdr)};
    if (!msg) return fail(Code::io, "cannot copy a netlink message: out of memory");
    nlmsg_set_proto(msg.get(), NETLINK_ROUTE);  // libnl finds the parser by protocol and type
    std::optional<LinkInfo> out;
    auto on_object = [](nl_object* o, void* arg) {
        *static_cast<std::optional<LinkInfo>*>(arg) = to_info(reinterpret_cast<rtnl_link*>(o));
    };
    if (int err = nl_msg_parse(msg.get(), on_object, &out); err < 0)
        return std::unexpected(error("cannot parse a link message", err));
    if (!out) return fail(Code::decode, "a link message held no link");
    return std::move(*out);
}

}  // namespace warren::liveness::nl
