#include "netcheck/pool_check.hpp"

#include <spdlog/spdlog.h>

#include <utility>

namespace warren::netcheck {

PoolCheck::PoolCheck(std::unique_ptr<HostNetworkReader> reader, core::ClusterPlan plan)
    : reader_(std::move(reader)), plan_(std::move(plan)) {}

void PoolCheck::run(const std::vector<core::PoolRanges>& pools) {
    core::HostNetwork host;
    if (auto h = reader_->read()) {
        host = std::move(*h);
        spdlog::debug(
            "pool check: this node has {} interface address(es) and {} main-table route(s)",
            host.addresses.size(), host.routes.size());
        for (auto& a : host.addresses)
            spdlog::trace("pool check: address {} on {}", cidr_string(a.address, a.prefix_len),
                          a.ifname);
        for (auto& r : host.routes)
            spdlog::trace("pool check: route {} dev {}", r.destination.str(), r.ifname);
        read_error_.clear();
    } else if (h.error().message != read_error_) {
        read_error_ = h.error().message;
        spdlog::warn(
            "pool check: cannot read this node's addresses and routes, so the pools are "
            "checked only against --cluster-cidr/--service-cidr: {}",
            h.error().describe());
    }
    warnings_ = core::check_pools(pools, host, plan_);
    if (warnings_.empty() && !pools.empty()) {
        size_t ranges = 0;
        for (auto& p : pools)
            for (auto& set : p.sets) ranges += set.size();
        spdlog::info(
            "pool check: {} range(s) of {} pool(s) conflict with no address or route of this "
            "node{}{}",
            ranges, pools.size(),
            plan_.cluster_cidrs.empty() ? "" : ", lie inside the cluster CIDR",
            plan_.service_cidrs.empty() ? "" : ", stay outside the service CIDR");
    }
    for (auto& w : warnings_)
        if (logged_.insert(w.message).second) spdlog::warn("pool check: {}", w.message);
}

namespace {

std::string join(const std::vector<IpPrefix>& prefixes) {
    std::string out;
    for (const auto& p : prefixes) {
        if (!out.empty()) out += ',';
        out += p.str();
    }
    return out;
}

std::vector<IpPrefix> pick(const std::vector<IpPrefix>& flag, const std::vector<IpPrefix>& api,
                           const char* what, const char* flag_name, std::string_view api_name) {
    if (!flag.empty()) {
        if (!api.empty() && flag != api)
            spdlog::info("pool check: {} {} from {}, not {} from {}", what, join(flag), flag_name,
                         join(api), api_name);
        else
            spdlog::info("pool check: {} {} from {}", what, join(flag), flag_name);
        return flag;
    }
    if (!api.empty()) {
        spdlog::info("pool check: {} {} from {} (no {} given)", what, join(api), api_name,
                     flag_name);
        return api;
    }
    spdlog::info("pool check: no {}: neither {} nor {} names one; not checked", what, flag_name,
                 api_name);
    return {};
}

}  // namespace

core::ClusterPlan merge_plan(const core::ClusterPlan& flags, const core::ClusterPlan& api,
                             std::string_view api_name) {
    core::ClusterPlan out;
    const std::string pods = std::string(api_name) + "'s podSubnet";
    const std::string services = std::string(api_name) + "'s serviceSubnet";
    out.cluster_cidrs =
        pick(flags.cluster_cidrs, api.cluster_cidrs, "cluster CIDR", "--cluster-cidr", pods);
    out.service_cidrs =
        pick(flags.service_cidrs, api.service_cidrs, "service CIDR", "--service-cidr", services);
    if (flags.cluster_cidrs.empty() && !api.cluster_cidrs.empty()) out.cluster_from = pods;
    if (flags.service_cidrs.empty() && !api.service_cidrs.empty()) out.service_from = services;
    return out;
}

}  // namespace warren::netcheck
