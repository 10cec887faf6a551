#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "kube/kubeadm_config.hpp"
#include "kube/objects.hpp"
#include "kube/retry.hpp"
#include "kube/watchers.hpp"

namespace warren::kube {

namespace net = boost::asio;

namespace {

std::string join(const std::vector<IpPrefix>& prefixes) {
    std::string out;
    for (const auto& p : prefixes) {
        if (!out.empty()) out += ',';
        out += p.str();
    }
    return out.empty() ? "none" : out;
}

}  // namespace

net::awaitable<void> run_kubeadm_config_reader(Transport& transport,
                                               std::function<void(ClusterNetworks)> on_read) {
    Backoff backoff;
    std::string last_error;
    for (;;) {
        auto body =
            co_await transport.get("/api/v1/namespaces/kube-system/configmaps/kubeadm-config");
        if (!body) {
            const int code = body.error().http_status;
            if (code == 403 || code == 404) {
                spdlog::info(
                    "kube: kubeadm-config not readable ({} {}): the pool checks use "
                    "--cluster-cidr/--service-cidr only",
                    code, body.error().message);
                co_return;
            }
            if (body.error().message != last_error) {
                last_error = body.error().message;
                spdlog::warn("kube: kubeadm-config: {}; retrying with back-off", last_error);
            }
            co_await sleep_for(backoff.next());
            continue;
        }
        auto j = parse_api_json(*body, "kubeadm-config");
        auto networks = j ? parse_kubeadm_config(*j) : std::unexpected(j.error());
        if (!networks) {
            spdlog::warn(
                "kube: {}; the pool checks use --cluster-cidr/--service-cidr only (fix the "
                "ConfigMap and restart the agent to use it)",
                networks.error().message);
            co_return;
        }
        spdlog::info("kube: kubeadm-config: podSubnet {}, serviceSubnet {}",
                     join(networks->pod_subnets), join(networks->service_subnets));
        on_read(std::move(*networks));
        co_return;
    }
}

}  // namespace warren::kube
