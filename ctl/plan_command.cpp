#include "plan_command.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

#include "commands.hpp"
#include "plan/input.hpp"
#include "plan_render.hpp"

namespace warren::ctl {

namespace {

using Fail = std::unexpected<std::string>;

// The per-cluster flags; --clusters replaces them all.
constexpr std::string_view kClusterFlags[] = {"--cluster-cidr",
                                              "--service-cidr",
                                              "--node-network",
                                              "--node-cidr-mask-size",
                                              "--node-cidr-mask-size-ipv4",
                                              "--node-cidr-mask-size-ipv6",
                                              "--max-pods",
                                              "--nodes"};

std::expected<std::optional<int>, std::string> mask_option(const Invocation& inv,
                                                           std::string_view flag) {
    auto v = inv.number(flag);
    if (!v) return std::optional<int>{};
    if (*v > 128)
        return Fail(std::string(flag) + " " + std::to_string(*v) +
                    " is not a prefix length (0-128)");
    return std::optional<int>(static_cast<int>(*v));
}

std::expected<std::vector<plan::ClusterPlan>, std::string> from_flags(const Invocation& inv) {
    plan::ClusterPlan p;
    auto cluster = inv.value("--cluster-cidr");
    if (!cluster)
        return Fail(
            "plan needs --cluster-cidr CIDR[,CIDR] (kube-controller-manager's) or "
            "--clusters FILE");
    auto pods = plan::parse_cidr_list(*cluster, "--cluster-cidr");
    if (!pods) return Fail(pods.error());
    p.cluster_cidrs = std::move(*pods);
    for (auto [flag, list] :
         {std::pair{"--service-cidr", &p.service_cidrs}, {"--node-network", &p.node_networks}}) {
        auto text = inv.value(flag);
        if (!text) continue;
        auto parsed = plan::parse_cidr_list(*text, flag);
        if (!parsed) return Fail(parsed.error());
        *list = std::move(*parsed);
    }
    auto any = mask_option(inv, "--node-cidr-mask-size");
    auto v4 = mask_option(inv, "--node-cidr-mask-size-ipv4");
    auto v6 = mask_option(inv, "--node-cidr-mask-size-ipv6");
    for (auto* m : {&any, &v4, &v6})
        if (!*m) return Fail(m->error());
    if (auto set = plan::set_node_masks(p, *any, *v4, *v6); !set) return Fail(set.error());
    if (auto max = inv.number("--max-pods")) {
        if (*max == 0 || *max > UINT32_MAX)
            return Fail("--max-pods takes 1 to 4294967295, not " + std::to_string(*max));
        p.max_pods = static_cast<uint32_t>(*max);
    }
    p.nodes = inv.number("--nodes");
    return std::vector<plan::ClusterPlan>{std::move(p)};
}

std::expected<std::vector<plan::ClusterPlan>, std::string> from_file(const Invocation& inv,
                                                                     const std::string& path) {
    for (auto flag : kClusterFlags)
        if (inv.has(flag))
            return Fail(std::string(flag) +
                        " cannot be combined with --clusters: put it in the "
                        "file's cluster entries");
    std::ifstream in(path);
    if (!in) return Fail("cannot read the cluster file " + path + ": " + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    auto clusters = plan::parse_cluster_file(text.str());
    if (!clusters) return Fail(path + ": " + clusters.error());
    return clusters;
}

// "/16" or "16".
std::expected<int, std::string> prefix_length(const Invocation& inv, std::string_view flag,
                                              std::string_view fallback) {
    std::string text(inv.value(flag).value_or(std::string(fallback)));
    std::string digits = text.starts_with('/') ? text.substr(1) : text;
    int len = -1;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), len);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || len < 0 ||
        len > 128)
        return Fail(std::string(flag) + " takes a prefix length like /16, not '" + text + "'");
    return len;
}

std::expected<std::optional<plan::Suggestion>, std::string> suggestion(
    const Invocation& inv, const std::vector<plan::ClusterPlan>& clusters) {
    if (!inv.has("--suggest")) {
        for (auto flag : {"--within", "--suggest-service"})
            if (inv.has(flag)) return Fail(std::string(flag) + " needs --suggest LEN");
        return std::optional<plan::Suggestion>{};
    }
    auto within_text = inv.value("--within");
    if (!within_text) return Fail("--suggest needs --within SUPERNET (e.g. --within 10.0.0.0/8)");
    auto within = IpPrefix::parse(*within_text);
    if (!within) return Fail("--within: '" + *within_text + "' is not a CIDR (e.g. 10.0.0.0/8)");
    auto pods = prefix_length(inv, "--suggest", "");
    if (!pods) return Fail(pods.error());
    auto services =
        prefix_length(inv, "--suggest-service", within->family() == Family::v4 ? "/20" : "/112");
    if (!services) return Fail(services.error());
    return plan::suggest(clusters, *pods, *within, *services);
}

}  // namespace

int run_plan(const Invocation& inv, const Io& io) {
    auto usage_error = [&](const std::string& message) {
        io.err << "warrenctl: " << message << "\n\n" << usage("plan");
        return static_cast<int>(Exit::usage);
    };
    auto file = inv.value("--clusters");
    auto clusters = file ? from_file(inv, *file) : from_flags(inv);
    if (!clusters) return usage_error(clusters.error());
    auto suggested = suggestion(inv, *clusters);
    if (!suggested) return usage_error(suggested.error());

    PlanResult result;
    result.clusters = std::move(*clusters);
    for (auto& c : result.clusters) result.reports.push_back(plan::check_cluster(c));
    result.overlaps = plan::check_overlaps(result.clusters);
    result.suggestion = std::move(*suggested);
    if (inv.global.json)
        io.out << plan_json(result).dump(2) << "\n";
    else
        io.out << render_plan(result);
    return static_cast<int>(plan_errors(result) ? Exit::failed : Exit::ok);
}

}  // namespace warren::ctl
