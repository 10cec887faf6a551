#include "liveness/tc_hook.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/pkt_sched.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/classifier.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "warren/fd.hpp"

namespace warren::liveness {
namespace {

bool link_gone(int err) {
    return err == ENODEV || err == ENOENT || err == ENXIO;
}

std::string link_name(int ifindex) {
    char buf[IF_NAMESIZE] = {};
    if (::if_indextoname(static_cast<unsigned>(ifindex), buf)) return buf;
    return "ifindex " + std::to_string(ifindex);
}

Error tc_error(const std::string& what, int ifindex, int err) {
    Error e = Error::from_errno(what + " on " + link_name(ifindex), err, Code::unavailable);
    if (err == EPERM) e.details = "needs root or CAP_NET_ADMIN + CAP_BPF";
    return e;
}

// The program behind `prog_id` is warren's (by name: a filter with our handle and priority but
// another program belongs to someone else).
bool is_warren_prog(uint32_t prog_id) {
    Fd fd(bpf_prog_get_fd_by_id(prog_id));
    if (!fd) return false;
    bpf_prog_info info{};
    uint32_t len = sizeof info;
    if (bpf_obj_get_info_by_fd(fd.get(), &info, &len) != 0) return false;
    return std::strncmp(info.name, kProgName, sizeof info.name) == 0;
}

// Filters on one side of `ifindex`'s clsact qdisc.
Result<int> count_filters(int ifindex, uint32_t parent) {
    nl_sock* sk = nl_socket_alloc();
    if (!sk) return fail(Code::internal, "nl_socket_alloc failed");
    int rc = nl_connect(sk, NETLINK_ROUTE);
    nl_cache* cache = nullptr;
    if (rc == 0) rc = rtnl_cls_alloc_cache(sk, ifindex, parent, &cache);
    int n = rc == 0 ? nl_cache_nitems(cache) : 0;
    if (cache) nl_cache_free(cache);
    nl_socket_free(sk);
    if (rc < 0)
        return fail(Code::io,
                    "listing tc filters on " + link_name(ifindex) + ": " + nl_geterror(rc));
    return n;
}

// Deletes clsact when neither side has a filter left: empty, it is ours or nobody's.
Status drop_empty_clsact(int ifindex) {
    for (uint32_t side : {TC_H_MIN_INGRESS, TC_H_MIN_EGRESS}) {
        auto n = count_filters(ifindex, TC_H_MAKE(TC_H_CLSACT, side));
        if (!n) return std::unexpected(n.error());
        if (*n > 0) return {};
    }
    LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
                .attach_point = static_cast<bpf_tc_attach_point>(BPF_TC_INGRESS | BPF_TC_EGRESS));
    int rc = bpf_tc_hook_destroy(&hook);
    if (rc < 0 && !link_gone(-rc) && rc != -EINVAL)
        return std::unexpected(tc_error("deleting clsact", ifindex, -rc));
    return {};
}

}  // namespace

Result<std::optional<TcAttachment>> attach(int prog_fd, int ifindex) {
    LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
    int rc = bpf_tc_hook_create(&hook);
    if (rc < 0 && rc != -EEXIST) {
        if (link_gone(-rc)) return std::nullopt;
        return std::unexpected(tc_error("creating the clsact qdisc", ifindex, -rc));
    }
    LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog_fd, .flags = BPF_TC_F_REPLACE,
                .handle = kTcHandle, .priority = kTcPriority);
    rc = bpf_tc_attach(&hook, &opts);
    if (rc < 0) {
        if (link_gone(-rc)) return std::nullopt;
        return std::unexpected(
            tc_error("attaching the liveness classifier to ingress", ifindex, -rc));
    }
    return std::optional<TcAttachment>(TcAttachment(ifindex));
}

Result<bool> attached(int ifindex) {
    LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
    LIBBPF_OPTS(bpf_tc_opts, opts, .handle = kTcHandle, .priority = kTcPriority);
    int rc = bpf_tc_query(&hook, &opts);
    if (rc == -ENOENT || rc == -EINVAL || (rc < 0 && link_gone(-rc))) return false;
    if (rc < 0) return std::unexpected(tc_error("querying tc filters", ifindex, -rc));
    return is_warren_prog(opts.prog_id);
}

Result<bool> detach_filter(int ifindex) {
    auto ours = attached(ifindex);
    if (!ours) return std::unexpected(ours.error());
    if (!*ours) return false;
    LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
    LIBBPF_OPTS(bpf_tc_opts, opts, .handle = kTcHandle, .priority = kTcPriority);
    int rc = bpf_tc_detach(&hook, &opts);
    if (rc < 0) {
        if (link_gone(-rc)) return false;
        return std::unexpected(tc_error("detaching the liveness classifier", ifindex, -rc));
    }
    if (auto ok = drop_empty_clsact(ifindex); !ok) return std::unexpected(ok.error());
    return true;
}

TcAttachment::TcAttachment(TcAttachment&& o) noexcept : ifindex_(std::exchange(o.ifindex_, 0)) {}

TcAttachment& TcAttachment::operator=(TcAttachment&& o) noexcept {
    if (this != &o) {
        (void)detach();
        ifindex_ = std::exchange(o.ifindex_, 0);
    }
    return *this;
}

TcAttachment::~TcAttachment() {
    (void)detach();
}

Status TcAttachment::detach() {
    if (ifindex_ == 0) return {};
    auto r = detach_filter(std::exchange(ifindex_, 0));
    if (!r) return std::unexpected(r.error());
    return {};
}

}  // namespace warren::liveness
