#include "check_flags/check.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

namespace warren::check_flags {

namespace {

using plan::Finding;
using plan::Severity;

std::string family_name(Family f) {
    return f == Family::v4 ? "IPv4" : "IPv6";
}

// "kube-apiserver --service-cluster-ip-range=10.96.0.0/12 (path:17)"
std::string where(const Setting& s) {
    const std::string sep = s.flag.starts_with("--") ? "=" : ": ";
    return s.component + " " + s.flag + sep + s.value + " (" + s.source + ")";
}

std::vector<std::string> split_commas(const std::string& value) {
    std::vector<std::string> out;
    size_t start = 0;
    for (;;) {
        const size_t comma = value.find(',', start);
        out.push_back(value.substr(start, comma - start));
        if (comma == std::string::npos) return out;
        start = comma + 1;
    }
}

std::string families_of(const std::vector<IpPrefix>& list) {
    std::string out;
    for (auto& p : list) out += (out.empty() ? "" : ",") + family_name(p.family());
    return out;
}

struct Checker {
    const Observed& o;
    std::vector<Finding> findings;

    void add(Severity s, std::string rule, std::string reason, std::string fix) {
        findings.push_back({s, std::move(rule), std::move(reason), std::move(fix)});
    }

    // A CIDR or a dual-stack pair of them; nullopt (with an error) when unset or invalid.
    std::optional<std::vector<IpPrefix>> prefixes(std::string_view component,
                                                  std::string_view key) {
        const Setting* s = o.find(component, key);
        if (!s) return std::nullopt;
        std::vector<IpPrefix> out;
        for (const std::string& text : split_commas(s->value)) {
            auto p = IpPrefix::parse(text);
            if (!p) {
                add(Severity::error, "invalid-value",
                    where(*s) + ": '" + text + "' is not a CIDR (" + p.error().message + ")",
                    "give address/length, e.g. 10.244.0.0/16, or a dual-stack pair "
                    "10.244.0.0/16,fd00:10:244::/56");
                return std::nullopt;
            }
            const size_t slash = text.find('/');
            if (auto addr = IpAddress::parse(text.substr(0, slash));
                addr && *addr != p->network()) {
                add(Severity::error, "invalid-value",
                    where(*s) + ": '" + text + "' has host bits set",
                    "use the network address: " + p->str());
                return std::nullopt;
            }
            out.push_back(*p);
        }
        if (out.size() > 2 || (out.size() == 2 && out[0].family() == out[1].family())) {
            add(Severity::error, "invalid-value",
                where(*s) + ": a dual-stack value is one IPv4 and one IPv6 CIDR, this is " +
                    families_of(out),
                "give at most one CIDR per family, e.g. 10.244.0.0/16,fd00:10:244::/56");
            return std::nullopt;
        }
        return out;
    }

    std::optional<std::vector<IpAddress>> addresses(std::string_view component,
                                                    std::string_view key) {
        const Setting* s = o.find(component, key);
        if (!s) return std::nullopt;
        std::vector<IpAddress> out;
        for (const std::string& text : split_commas(s->value)) {
            auto a = IpAddress::parse(text);
            if (!a) {
                add(Severity::error, "invalid-value",
                    where(*s) + ": '" + text + "' is not an IP address",
                    "give an address such as 10.96.0.10 or fd00::a");
                return std::nullopt;
            }
            out.push_back(*a);
        }
        return out;
    }

    std::optional<uint64_t> number(std::string_view component, std::string_view key) {
        const Setting* s = o.find(component, key);
        if (!s) return std::nullopt;
        uint64_t v = 0;
        auto [end, ec] = std::from_chars(s->value.data(), s->value.data() + s->value.size(), v);
        if (s->value.empty() || ec != std::errc{} || end != s->value.data() + s->value.size()) {
            add(Severity::error, "invalid-value", where(*s) + ": not a whole number",
                "give a whole number such as 110");
            return std::nullopt;
        }
        return v;
    }

    // The same ranges in both; equal sets in another order are a dual-stack-order error.
    void same_ranges(std::string_view rule, std::string_view a_comp, std::string_view b_comp,
                     std::string_view key, const std::string& fix_target) {
        if (!o.has(a_comp) || !o.has(b_comp)) return;
        auto a = prefixes(a_comp, key);
        auto b = prefixes(b_comp, key);
        const Setting* sa = o.find(a_comp, key);
        const Setting* sb = o.find(b_comp, key);
        if (!sa || !sb) {
            const Setting* set = sa ? sa : sb;
            std::string_view unset = sa ? b_comp : a_comp;
            if (set)
                add(Severity::note, "flag-unset",
                    std::string(unset) + " sets no " + std::string(key) + "; " + where(*set) +
                        " cannot be compared",
                    "set it in " + std::string(unset) + " too: " + set->value);
            return;
        }
        if (!a || !b || *a == *b) return;
        auto sorted = [](std::vector<IpPrefix> v) {
            std::sort(v.begin(), v.end());
            return v;
        };
        if (sorted(*a) == sorted(*b)) {
            add(Severity::error, "dual-stack-order",
                where(*sa) + " and " + where(*sb) +
                    " list the same ranges in another order; the first is the primary family",
                "use one order everywhere: " + sa->value);
            return;
        }
        add(Severity::error, std::string(rule), where(*sa) + " differs from " + where(*sb),
            fix_target);
    }

    std::optional<std::vector<IpPrefix>> services() {
        if (auto s = prefixes(kApiserver, "--service-cluster-ip-range")) return s;
        return prefixes(kControllerManager, "--service-cluster-ip-range");
    }
    const Setting* services_setting() const {
        if (auto s = o.find(kApiserver, "--service-cluster-ip-range")) return s;
        return o.find(kControllerManager, "--service-cluster-ip-range");
    }
    std::optional<std::vector<IpPrefix>> clusters() {
        if (auto c = prefixes(kControllerManager, "--cluster-cidr")) return c;
        return prefixes(kKubeProxy, "--cluster-cidr");
    }
    const Setting* clusters_setting() const {
        if (auto s = o.find(kControllerManager, "--cluster-cidr")) return s;
        return o.find(kKubeProxy, "--cluster-cidr");
    }

    // The controller manager's node mask for a family and the flag it came from.
    std::pair<int, std::string> node_mask(Family f, bool dual = false) {
        const char* own =
            f == Family::v4 ? "--node-cidr-mask-size-ipv4" : "--node-cidr-mask-size-ipv6";
        for (const char* key : {own, "--node-cidr-mask-size"})
            if (auto n = number(kControllerManager, key))
                return {static_cast<int>(std::min<uint64_t>(*n, 1000)), key};
        return {f == Family::v4 ? 24 : 64,
                std::string(dual ? own : "--node-cidr-mask-size") + " (default)"};
    }

    void pod_cidr() {
        auto pods = prefixes(kKubelet, "--pod-cidr");
        auto cluster = clusters();
        const Setting* s = o.find(kKubelet, "--pod-cidr");
        if (!pods || !cluster) return;
        for (const IpPrefix& p : *pods) {
            auto c = std::find_if(cluster->begin(), cluster->end(),
                                  [&](const IpPrefix& x) { return x.family() == p.family(); });
            if (c == cluster->end() || !c->contains(p.network()) || p.length() < c->length()) {
                add(Severity::error, "pod-cidr-outside-cluster-cidr",
                    where(*s) + ": " + p.str() + " is not inside the cluster CIDR " +
                        (c == cluster->end() ? "(none of " + family_name(p.family()) + " in " +
                                                   where(*clusters_setting()) + ")"
                                             : where(*clusters_setting())),
                    "give the kubelet a pod CIDR inside " + clusters_setting()->value +
                        ", or leave podCIDR unset so the node's spec.podCIDR is used");
                continue;
            }
            if (!o.has(kControllerManager)) continue;
            auto [mask, flag] = node_mask(p.family(), cluster->size() == 2);
            // node-mask-vs-cluster-cidr names the cause
            if (mask < c->length() || mask > (p.family() == Family::v4 ? 32 : 128)) continue;
            if (p.length() != mask)
                add(Severity::error, "pod-cidr-mask",
                    where(*s) + ": " + p.str() + " is a /" + std::to_string(p.length()) +
                        " but kube-controller-manager " + flag + " " + std::to_string(mask) +
                        " gives each node a /" + std::to_string(mask),
                    "give the kubelet a /" + std::to_string(mask) + " inside " + c->str() +
                        ", or change " + flag);
        }
    }

    void cluster_dns() {
        auto dns = addresses(kKubelet, "--cluster-dns");
        auto svc = services();
        if (!dns || !svc) return;
        const Setting* s = o.find(kKubelet, "--cluster-dns");
        for (const IpAddress& a : *dns) {
            auto r = std::find_if(svc->begin(), svc->end(),
                                  [&](const IpPrefix& x) { return x.contains(a); });
            auto same_family = std::find_if(svc->begin(), svc->end(), [&](const IpPrefix& x) {
                return x.family() == a.family();
            });
            const std::string conventional =
                same_family == svc->end() ? "" : same_family->network().plus(10).str();
            if (r == svc->end()) {
                add(Severity::error, "cluster-dns-outside-service-range",
                    where(*s) + ": " + a.str() + " is outside the service range " +
                        where(*services_setting()) +
                        "; pods would get a DNS server no Service "
                        "answers on",
                    conventional.empty()
                        ? "give a cluster DNS address of the service range's family"
                        : "set clusterDNS to the DNS Service's address inside " +
                              same_family->str() + ", by kubeadm's convention " + conventional);
            } else if (a == r->network()) {
                add(Severity::error, "cluster-dns-is-network-address",
                    where(*s) + ": " + a.str() + " is the network address of the service range " +
                        r->str() + ", which no Service can be given",
                    "set clusterDNS to " + r->network().plus(10).str() +
                        " (kubeadm's convention) and the DNS Service's clusterIP to the same");
            }
        }
    }

    void node_ip() {
        std::optional<std::vector<IpAddress>> ips = addresses(kKubelet, "--node-ip");
        const Setting* s = o.find(kKubelet, "--node-ip");
        if (!s) {
            ips = addresses(kApiserver, "--advertise-address");
            s = o.find(kApiserver, "--advertise-address");
        }
        if (!ips) return;
        auto pods = clusters();
        auto svc = services();
        for (const IpAddress& a : *ips) {
            for (const IpPrefix& p : pods.value_or(std::vector<IpPrefix>{}))
                if (p.contains(a))
                    add(Severity::error, "node-ip-in-pod-range",
                        where(*s) + ": the node address " + a.str() +
                            " lies inside the pod range " + where(*clusters_setting()) +
                            "; pods and nodes would collide",
                        "choose a cluster CIDR that excludes the node network (--cluster-cidr), "
                        "or renumber the node");
            for (const IpPrefix& r : svc.value_or(std::vector<IpPrefix>{}))
                if (r.contains(a))
                    add(Severity::error, "node-ip-in-service-range",
                        where(*s) + ": the node address " + a.str() +
                            " lies inside the service range " + where(*services_setting()) +
                            "; traffic to it would be taken for a Service",
                        "choose a service range that excludes the node network "
                        "(--service-cluster-ip-range in apiserver and controller manager)");
        }
    }

    void dual_stack() {
        auto pods = clusters();
        auto svc = services();
        if (pods && svc && families_of(*pods) != families_of(*svc)) {
            const bool same_set = pods->size() == svc->size();
            add(Severity::warning, "dual-stack-families",
                where(*clusters_setting()) + " is " + families_of(*pods) + " but " +
                    where(*services_setting()) + " is " + families_of(*svc) +
                    (same_set ? " (the primary families differ)" : ""),
                "give pods and services the same families in the same order");
        }
        const Setting* s = o.find(kKubelet, "--node-ip");
        auto ips = addresses(kKubelet, "--node-ip");
        if (pods && ips && pods->size() == 2) {
            std::string ip_families;
            for (auto& a : *ips)
                ip_families += (ip_families.empty() ? "" : ",") + family_name(a.family());
            if (ip_families != families_of(*pods))
                add(Severity::warning, "dual-stack-families",
                    where(*s) + " is " + ip_families + " on a dual-stack cluster (" +
                        where(*clusters_setting()) + " is " + families_of(*pods) + ")",
                    "give the kubelet one node IP per family, in the cluster's order: "
                    "--node-ip=IPV4,IPV6");
        }
    }

    // " (from a.yaml:19, b.yaml:35)": where the values of a reason that names no file came from.
    static std::string from(std::initializer_list<const Setting*> settings) {
        std::string out;
        for (const Setting* s : settings)
            if (s) out += (out.empty() ? " (from " : ", ") + s->source;
        return out.empty() ? out : out + ")";
    }

    void node_mask_rules() {
        if (!o.has(kControllerManager)) return;
        auto pods = prefixes(kControllerManager, "--cluster-cidr");
        if (!pods) return;
        auto max = number(kKubelet, "--max-pods");
        const Setting* max_setting = o.find(kKubelet, "--max-pods");
        const uint64_t max_pods = max.value_or(110);
        for (const IpPrefix& c : *pods) {
            auto [mask, flag] = node_mask(c.family(), pods->size() == 2);
            const std::string bare_flag = flag.substr(0, flag.find(' '));
            const Setting* mask_setting = o.find(kControllerManager, bare_flag);
            const int bits = c.family() == Family::v4 ? 32 : 128;
            if (mask < c.length() || mask > bits) {
                add(Severity::error, "node-mask-vs-cluster-cidr",
                    "kube-controller-manager " + flag + " " + std::to_string(mask) +
                        " does not fit the cluster CIDR " + c.str() + ": node CIDRs must be /" +
                        std::to_string(c.length()) + " to /" + std::to_string(bits) +
                        from({mask_setting, o.find(kControllerManager, "--cluster-cidr")}),
                    "set " + bare_flag + " between " + std::to_string(c.length()) + " and " +
                        std::to_string(bits));
                continue;
            }
            const u128 per_node = plan::pods_per_node(c.family(), mask);
            if (per_node >= max_pods) continue;
            const std::string max_text = "maxPods " + std::to_string(max_pods) +
                                         (max_setting ? "" : " (the kubelet's default)");
            auto need = plan::mask_for_pods(c.family(), max_pods);
            add(Severity::error, "node-mask-vs-max-pods",
                bare_flag + " " + std::to_string(mask) + " gives " + u128_str(per_node) +
                    " pod addresses per node, " + max_text +
                    (need ? " needs /" + std::to_string(*need) : " cannot fit any node mask") +
                    from({mask_setting, max_setting}),
                (need ? "set kube-controller-manager " + bare_flag + "=" + std::to_string(*need) +
                            " (a /" + std::to_string(*need) + " must fit in " + c.str() + "), or "
                      : std::string()) +
                    "lower the kubelet's maxPods to " + u128_str(per_node));
        }
    }
};

}  // namespace

std::vector<Finding> check(const Observed& observed) {
    Checker c{observed, {}};
    c.same_ranges(
        "service-range-mismatch", kApiserver, kControllerManager, "--service-cluster-ip-range",
        "set kube-controller-manager --service-cluster-ip-range to the apiserver's " +
            std::string(observed.find(kApiserver, "--service-cluster-ip-range")
                            ? observed.find(kApiserver, "--service-cluster-ip-range")->value
                            : ""));
    c.same_ranges("cluster-cidr-mismatch", kControllerManager, kKubeProxy, "--cluster-cidr",
                  "set kube-proxy clusterCIDR (its ConfigMap) to the controller manager's " +
                      std::string(observed.find(kControllerManager, "--cluster-cidr")
                                      ? observed.find(kControllerManager, "--cluster-cidr")->value
                                      : ""));
    c.pod_cidr();
    c.cluster_dns();
    c.node_ip();
    c.dual_stack();
    c.node_mask_rules();
    // Each parse of an invalid value reported it; keep one of each.
    std::vector<Finding> unique;
    for (auto& f : c.findings) {
        if (std::none_of(unique.begin(), unique.end(), [&](const Finding& u) {
                return u.rule == f.rule && u.reason == f.reason;
            }))
            unique.push_back(std::move(f));
    }
    std::stable_sort(unique.begin(), unique.end(),
                     [](const Finding& a, const Finding& b) { return a.severity < b.severity; });
    return unique;
}

}  // namespace warren::check_flags
