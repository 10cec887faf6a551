#include "plan_render.hpp"

#include <limits>

#include "render.hpp"

namespace warren::ctl {

namespace {

using nlohmann::json;
using plan::Finding;
using plan::Severity;

constexpr uint64_t kDefaultMaxPods = 110;

json count_json(u128 v) {
    if (v <= std::numeric_limits<uint64_t>::max()) return static_cast<uint64_t>(v);
    return u128_str(v);
}

std::string count_text(u128 v, bool saturated) {
    if (saturated && v == (u128{1} << 127)) return ">=2^127";
    return u128_str(v);
}

std::string family_text(Family f) {
    return f == Family::v4 ? "IPv4" : "IPv6";
}

const IpPrefix* service_of(const plan::ClusterPlan& c, Family f) {
    for (auto& p : c.service_cidrs)
        if (p.family() == f) return &p;
    return nullptr;
}

json finding_json(const Finding& f) {
    return {{"severity", plan::severity_name(f.severity)},
            {"rule", f.rule},
            {"reason", f.reason},
            {"fix", f.fix}};
}

json findings_json(const std::vector<Finding>& list) {
    json out = json::array();
    for (auto& f : list) out.push_back(finding_json(f));
    return out;
}

std::string findings_text(const std::vector<Finding>& list, std::string_view indent) {
    std::string out;
    for (auto& f : list) {
        std::string sev(plan::severity_name(f.severity));
        sev.resize(8, ' ');
        out += std::string(indent) + sev + f.rule + ": " + f.reason + "\n";
        if (!f.fix.empty()) out += std::string(indent) + "        fix: " + f.fix + "\n";
    }
    return out;
}

size_t count(const PlanResult& r, Severity s) {
    size_t n = 0;
    for (auto& rep : r.reports)
        for (auto& f : rep.findings) n += f.severity == s;
    for (auto& f : r.overlaps) n += f.severity == s;
    return n;
}

std::string mask_text(int mask) {
    std::string out = "/";
    out += std::to_string(mask);
    return out;
}

std::string line(std::string_view label, const std::string& text) {
    std::string out(label);
    out += text;
    out += '\n';
    return out;
}

std::string plural(size_t n, const std::string& word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

}  // namespace

size_t plan_errors(const PlanResult& r) {
    return count(r, Severity::error);
}

json plan_json(const PlanResult& r) {
    json clusters = json::array();
    for (size_t i = 0; i < r.clusters.size(); ++i) {
        const auto& c = r.clusters[i];
        json capacity = json::array();
        for (auto& cap : r.reports[i].capacity) {
            const IpPrefix* svc = service_of(c, cap.family);
            capacity.push_back(
                {{"family", family_text(cap.family)},
                 {"clusterCIDR", cap.cluster_cidr.str()},
                 {"nodeMask", cap.node_mask},
                 {"nodesMax", count_json(cap.nodes_max)},
                 {"podsPerNode", count_json(cap.pods_per_node)},
                 {"maxPods", c.max_pods.value_or(kDefaultMaxPods)},
                 {"serviceCIDR", svc ? json(svc->str()) : json(nullptr)},
                 {"serviceIPs", count_json(cap.service_ips)},
                 {"nodes", c.nodes ? json(*c.nodes) : json(nullptr)},
                 {"nodeHeadroom", cap.node_headroom ? json(*cap.node_headroom) : json(nullptr)},
                 {"saturated", cap.saturated}});
        }
        clusters.push_back({{"name", c.name},
                            {"capacity", std::move(capacity)},
                            {"findings", findings_json(r.reports[i].findings)}});
    }
    json out = {{"clusters", std::move(clusters)}, {"overlaps", findings_json(r.overlaps)}};
    if (r.suggestion) {
        const auto& s = *r.suggestion;
        out["suggestion"] = {
            {"podCIDR", s.pod_cidr ? json(s.pod_cidr->str()) : json(nullptr)},
            {"serviceCIDR", s.service_cidr ? json(s.service_cidr->str()) : json(nullptr)},
            {"whyNone", s.why_none}};
    }
    out["errors"] = count(r, Severity::error);
    out["warnings"] = count(r, Severity::warning);
    out["notes"] = count(r, Severity::note);
    return out;
}

std::string render_plan(const PlanResult& r) {
    std::string out;
    for (size_t i = 0; i < r.clusters.size(); ++i) {
        const auto& c = r.clusters[i];
        if (i) out += "\n";
        out += c.name.empty() ? "cluster (from flags)" : "cluster " + c.name;
        out += "\n";
        Table table({"family", "cluster CIDR", "node mask", "nodes max", "pods/node", "max-pods",
                     "service CIDR", "service IPs", "nodes", "headroom"});
        for (auto& cap : r.reports[i].capacity) {
            const IpPrefix* svc = service_of(c, cap.family);
            std::string headroom = "-";
            if (cap.node_headroom) headroom = std::to_string(*cap.node_headroom);
            table.add({family_text(cap.family), cap.cluster_cidr.str(), mask_text(cap.node_mask),
                       count_text(cap.nodes_max, cap.saturated),
                       count_text(cap.pods_per_node, cap.saturated),
                       std::to_string(c.max_pods.value_or(kDefaultMaxPods)), svc ? svc->str() : "-",
                       svc ? count_text(cap.service_ips, false) : "-",
                       c.nodes ? std::to_string(*c.nodes) : "-", headroom});
        }
        if (!table.empty()) {
            std::string t = table.str();
            size_t pos = 0;
            while (pos < t.size()) {
                size_t nl = t.find('\n', pos);
                if (nl == std::string::npos) nl = t.size() - 1;
                out += "  ";
                out.append(t, pos, nl - pos + 1);
                pos = nl + 1;
            }
        }
        if (!r.reports[i].findings.empty())
            out += "  findings:\n" + findings_text(r.reports[i].findings, "    ");
    }
    if (r.clusters.size() > 1) {
        out += "\nbetween clusters:\n";
        out += r.overlaps.empty() ? "  no overlaps\n" : findings_text(r.overlaps, "  ");
    }
    if (r.suggestion) {
        const auto& s = *r.suggestion;
        out += "\nnext free blocks for a new cluster:\n";
        if (s.pod_cidr) out += line("  pods      ", s.pod_cidr->str());
        if (s.service_cidr) out += line("  services  ", s.service_cidr->str());
        if (!s.why_none.empty()) out += line("  none: ", s.why_none);
    }
    out += "\n";
    out += plural(count(r, Severity::error), "error") + ", " +
           plural(count(r, Severity::warning), "warning") + ", " +
           plural(count(r, Severity::note), "note") + "\n";
    return out;
}

}  // namespace warren::ctl
