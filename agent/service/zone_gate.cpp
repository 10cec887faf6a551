#include "service/zone_gate.hpp"

#include <spdlog/spdlog.h>

#include "server/log_throttle.hpp"
#include "warren/log_text.hpp"

namespace warren::service {

std::optional<core::PoolAsk> pool_ask_of(const proto::Request& req) {
    if (req.requested_pool)
        return core::PoolAsk{*req.requested_pool,
                             req.requested_pool_from.empty() ? "the pod" : req.requested_pool_from};
    if (req.pool) return core::PoolAsk{*req.pool, "ipam.pool"};
    if (req.ranges) return core::PoolAsk{req.network, "the network's ranges"};
    return std::nullopt;
}

IpamService::ZoneGate make_zone_gate(std::function<std::shared_ptr<const core::ZoneRules>()> rules,
                                     core::LabelLookup labels) {
    auto throttle = std::make_shared<server::LogThrottle>();
    return [rules = std::move(rules), labels = std::move(labels),
            throttle](const proto::Request& req) -> Result<std::optional<std::string>> {
        const auto current = rules ? rules() : nullptr;
        if (!current || !current->enabled()) return std::nullopt;
        auto choice = core::choose(*current, req.pod.namespace_, pool_ask_of(req), labels);
        if (choice) return std::move(choice->pool);
        if (choice.error().code == Code::zone_refused) {
            std::string detail =
                log_text(req.pod.namespace_ + "/" + req.pod.name + ": " + choice.error().message);
            if (auto b = throttle->note(server::LogThrottle::Clock::now(), std::move(detail))) {
                if (b->count == 1)
                    spdlog::info("zone refused an ADD of pod {}", b->last);
                else
                    spdlog::info(
                        "zone refused {} ADDs in the last {}s; the last, of pod {}", b->count,
                        std::chrono::duration_cast<std::chrono::seconds>(b->span).count(), b->last);
            }
        }
        return std::unexpected(std::move(choice.error()));
    };
}

}  // namespace warren::service
