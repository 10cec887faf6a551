#include "plan/input.hpp"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <set>

namespace warren::plan {

namespace {

using Fail = std::unexpected<std::string>;

const std::set<std::string, std::less<>> kKeys = {"name",
                                                  "podCIDR",
                                                  "podCIDRs",
                                                  "serviceCIDR",
                                                  "serviceCIDRs",
                                                  "nodeNetwork",
                                                  "nodeNetworks",
                                                  "nodeCIDRMaskSize",
                                                  "nodeCIDRMaskSizeIPv4",
                                                  "nodeCIDRMaskSizeIPv6",
                                                  "maxPods",
                                                  "nodes"};

std::string known_keys() {
    std::string out;
    for (auto& k : kKeys) out += (out.empty() ? "" : ", ") + k;
    return out;
}

std::optional<uint64_t> whole_number(const std::string& s) {
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
    return v;
}

// A key given as `singular` (one CIDR or "a,b") or `plural` (a list); both is an error.
std::expected<std::vector<IpPrefix>, std::string> cidrs(const YAML::Node& c,
                                                        const std::string& singular,
                                                        const std::string& plural) {
    if (c[singular] && c[plural])
        return Fail("both " + singular + " and " + plural + " are given; use one");
    std::vector<IpPrefix> out;
    if (auto n = c[singular]) {
        if (!n.IsScalar()) return Fail(singular + " must be one CIDR (or " + plural + ": a list)");
        return parse_cidr_list(n.Scalar(), singular);
    }
    if (auto n = c[plural]) {
        if (!n.IsSequence()) return Fail(plural + " must be a list of CIDRs");
        for (const auto& item : n) {
            if (!item.IsScalar()) return Fail(plural + " must be a list of CIDRs");
            auto p = parse_cidr_list(item.Scalar(), plural);
            if (!p) return Fail(p.error());
            out.insert(out.end(), p->begin(), p->end());
        }
    }
    return out;
}

std::expected<std::optional<uint64_t>, std::string> number(const YAML::Node& c,
                                                           const std::string& key) {
    auto n = c[key];
    if (!n) return std::optional<uint64_t>{};
    auto v = n.IsScalar() ? whole_number(n.Scalar()) : std::nullopt;
    if (!v)
        return Fail(
            key + " must be a whole number, not '" +
            (n.IsScalar() ? n.Scalar() : "a " + std::string(n.IsSequence() ? "list" : "map")) +
            "'");
    return v;
}

std::expected<std::optional<int>, std::string> mask(const YAML::Node& c, const std::string& key) {
    auto v = number(c, key);
    if (!v) return Fail(v.error());
    if (!*v) return std::optional<int>{};
    if (**v > 128) return Fail(key + " " + std::to_string(**v) + " is not a prefix length (0-128)");
    return std::optional<int>(static_cast<int>(**v));
}

std::expected<ClusterPlan, std::string> read_cluster(const YAML::Node& c) {
    if (!c.IsMap()) return Fail("must be a map with name, podCIDR, serviceCIDR, ...");
    for (const auto& kv : c) {
        const std::string key = kv.first.Scalar();
        if (!kKeys.contains(key))
            return Fail("unknown key '" + key + "' (known: " + known_keys() + ")");
    }
    ClusterPlan plan;
    if (!c["name"] || !c["name"].IsScalar() || c["name"].Scalar().empty())
        return Fail("name is missing: give every cluster a name");
    plan.name = c["name"].Scalar();
    auto pods = cidrs(c, "podCIDR", "podCIDRs");
    if (!pods) return Fail(pods.error());
    if (pods->empty()) return Fail("podCIDR is missing (the controller manager's --cluster-cidr)");
    plan.cluster_cidrs = std::move(*pods);
    auto services = cidrs(c, "serviceCIDR", "serviceCIDRs");
    if (!services) return Fail(services.error());
    plan.service_cidrs = std::move(*services);
    auto nodes = cidrs(c, "nodeNetwork", "nodeNetworks");
    if (!nodes) return Fail(nodes.error());
    plan.node_networks = std::move(*nodes);
    auto any = mask(c, "nodeCIDRMaskSize");
    auto v4 = mask(c, "nodeCIDRMaskSizeIPv4");
    auto v6 = mask(c, "nodeCIDRMaskSizeIPv6");
    for (auto* m : {&any, &v4, &v6})
        if (!*m) return Fail(m->error());
    if (*any && plan.cluster_cidrs.size() > 1)
        return Fail(
            "nodeCIDRMaskSize is not allowed with dual-stack podCIDRs "
            "(kube-controller-manager refuses it); use nodeCIDRMaskSizeIPv4 and "
            "nodeCIDRMaskSizeIPv6");
    if (*any && (*v4 || *v6))
        return Fail(
            "nodeCIDRMaskSize and a per-family nodeCIDRMaskSizeIPv4/IPv6 are both given; "
            "use one");
    if (auto set = set_node_masks(plan, *any, *v4, *v6); !set) return Fail(set.error());
    auto max_pods = number(c, "maxPods");
    if (!max_pods) return Fail(max_pods.error());
    if (*max_pods)
        plan.max_pods = static_cast<uint32_t>(std::min<uint64_t>(**max_pods, UINT32_MAX));
    auto count = number(c, "nodes");
    if (!count) return Fail(count.error());
    plan.nodes = *count;
    return plan;
}

}  // namespace

std::expected<std::vector<IpPrefix>, std::string> parse_cidr_list(std::string_view text,
                                                                  std::string_view what) {
    std::vector<IpPrefix> out;
    size_t start = 0;
    for (;;) {
        const size_t comma = text.find(',', start);
        std::string_view item =
            text.substr(start, comma == std::string_view::npos ? comma : comma - start);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        auto p = IpPrefix::parse(item);
        if (!p)
            return Fail(std::string(what) + ": '" + std::string(item) +
                        "' is not a CIDR (e.g. 10.244.0.0/16, or a v4,v6 pair)");
        out.push_back(*p);
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return out;
}

std::expected<void, std::string> set_node_masks(ClusterPlan& plan, std::optional<int> any,
                                                std::optional<int> v4, std::optional<int> v6) {
    if (any) {
        // kube-controller-manager: "usage of --node-cidr-mask-size is not allowed with
        // dual-stack clusters".
        if (plan.cluster_cidrs.size() > 1)
            return Fail(
                "--node-cidr-mask-size is not allowed with a dual-stack cluster CIDR "
                "(kube-controller-manager refuses it); use --node-cidr-mask-size-ipv4 "
                "and --node-cidr-mask-size-ipv6");
        if (v4 || v6)
            return Fail("--node-cidr-mask-size and a per-family mask are both given; use one");
        if (!plan.cluster_cidrs.empty() && plan.cluster_cidrs[0].family() == Family::v6)
            v6 = any;
        else
            v4 = any;
    }
    plan.node_mask_v4 = v4;
    plan.node_mask_v6 = v6;
    return {};
}

std::expected<std::vector<ClusterPlan>, std::string> parse_cluster_file(std::string_view text) {
    YAML::Node root;
    try {
        root = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
        return Fail("not YAML or JSON: " + std::string(e.what()));
    }
    if (!root.IsMap() || !root["clusters"] || !root["clusters"].IsSequence())
        return Fail("the file needs a top-level 'clusters:' list");
    std::vector<ClusterPlan> out;
    std::set<std::string> names;
    size_t index = 0;
    for (const auto& c : root["clusters"]) {
        ++index;
        std::string label = "cluster #" + std::to_string(index);
        if (c.IsMap() && c["name"] && c["name"].IsScalar())
            label = "cluster '" + c["name"].Scalar() + "' (#" + std::to_string(index) + ")";
        auto plan = read_cluster(c);
        if (!plan) return Fail(label + ": " + plan.error());
        if (!names.insert(plan->name).second)
            return Fail(label + ": name '" + plan->name + "' is used twice; names must be unique");
        out.push_back(std::move(*plan));
    }
    if (out.empty()) return Fail("'clusters:' is empty: list at least one cluster");
    return out;
}

}  // namespace warren::plan
