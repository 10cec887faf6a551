#include "service/kube_pools.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "warren/log_text.hpp"

namespace warren::service {

namespace {

std::vector<std::string> cidrs_of(const core::Pool& p) {
    std::vector<std::string> out;
    for (auto& set : p.sets)
        for (auto& r : set) out.push_back(r.subnet.str());
    return out;
}

// One range set per CIDR, at most one per family: a second CIDR of one family would give
// every pod two addresses of it.
Result<std::vector<core::RangeSet>> sets_from_node(const std::vector<std::string>& cidrs) {
    if (cidrs.size() > 2)
        return fail(Code::invalid_config,
                    std::to_string(cidrs.size()) +
                        " CIDRs where Kubernetes assigns at most one per family (IPv4, IPv6)");
    auto sets = core::range_sets_from_cidrs(cidrs);
    if (!sets) return std::unexpected(sets.error());
    if (sets->size() == 2 &&
        (*sets)[0].front().subnet.family() == (*sets)[1].front().subnet.family())
        return fail(Code::invalid_config,
                    "two CIDRs of one family; Kubernetes assigns at most one per family");
    return sets;
}

}  // namespace

std::string join_cidrs(const std::vector<std::string>& cidrs) {
    std::string out;
    for (auto& c : cidrs) out += (out.empty() ? "" : ", ") + log_text(c);
    return out.empty() ? "none" : out;
}

KubePools::KubePools(boost::asio::io_context& io, core::IpamState& state, IpamService& service,
                     std::string node, std::string pool)
    : io_(io), state_(state), service_(service), node_(std::move(node)), pool_(std::move(pool)) {}

kube::Source::NodeHandler KubePools::handler() {
    return [this](const kube::NodeState& n) { boost::asio::post(io_, [this, n] { apply(n); }); };
}

std::string KubePools::waiting_message() const {
    return "waiting for Node " + node_ +
           "'s spec.podCIDRs (kube-controller-manager --allocate-node-cidrs assigns them)";
}

Status KubePools::gate(std::string_view pool) const {
    if (pool != pool_ || state_.pool(pool_)) return {};
    return fail(Code::unavailable,
                "warrend is " + waiting_message() + " and cannot serve pool '" + pool_ + "' yet",
                "check `kubectl get node " + node_ +
                    " -o jsonpath='{.spec.podCIDRs}'` and `warrenctl status`; the pool is served "
                    "as soon as "
                    "the Node has CIDRs");
}

KubePoolStatus KubePools::status() const {
    KubePoolStatus s{node_, pool_, {}, true, error_};
    if (const core::Pool* p = state_.pool(pool_)) {
        s.cidrs = cidrs_of(*p);
        s.waiting = false;
    }
    return s;
}

void KubePools::changed() {
    if (on_change_) on_change_();
}

void KubePools::refuse(const std::vector<std::string>& cidrs, const std::string& why) {
    const std::string msg = "Node " + node_ + "'s spec.podCIDRs [" + join_cidrs(cidrs) +
                            "] cannot be served as pool '" + pool_ + "': " + why +
                            "; the pool is left as it was";
    if (msg == refused_) return;
    refused_ = msg;
    spdlog::error("kubernetes: {}", msg);
    error_ = msg;
    changed();
}

void KubePools::apply(const kube::NodeState& node) {
    const core::Pool* p = state_.pool(pool_);
    if (node.pod_cidrs.empty()) {
        if (!p && !said_waiting_) {
            said_waiting_ = true;
            spdlog::info("kubernetes: {}", waiting_message());
        } else if (p && !said_empty_) {
            said_empty_ = true;
            spdlog::warn("kubernetes: Node {} has no spec.podCIDRs; pool '{}' keeps {}", node_,
                         pool_, join_cidrs(cidrs_of(*p)));
        }
        return;
    }
    said_empty_ = false;
    auto sets = sets_from_node(node.pod_cidrs);
    if (!sets) return refuse(node.pod_cidrs, sets.error().message);
    const std::string text = core::to_json(*sets).dump();
    if (p && p->ranges_json == text && p->source == core::PoolSource::config) {
        if (!error_.empty()) {  // a refused update was followed by the CIDRs already served
            error_.clear();
            refused_.clear();
            changed();
        }
        return;
    }
    if (p)
        spdlog::warn(
            "kubernetes: Node {}'s pod CIDRs changed from {} to {}: pool '{}' redefined; "
            "allocations "
            "outside the new ranges keep their addresses until released",
            node_, join_cidrs(cidrs_of(*p)), join_cidrs(node.pod_cidrs), pool_);
    else
        spdlog::info("kubernetes: Node {}'s pod CIDRs are {}: serving them as pool '{}'", node_,
                     join_cidrs(node.pod_cidrs), pool_);
    service_.define_pool(pool_, *sets, core::PoolSource::config,
                         [this, cidrs = node.pod_cidrs](Status st) {
                             if (!st) return refuse(cidrs, st.error().describe());
                             error_.clear();
                             refused_.clear();
                             said_waiting_ = false;
                             changed();
                         });
}

}  // namespace warren::service
