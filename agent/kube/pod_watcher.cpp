#include "kube/list_watch.hpp"
#include "kube/watchers.hpp"

namespace warren::kube {

namespace net = boost::asio;

net::awaitable<void> run_pod_watcher(Transport& transport, const Settings& settings,
                                     SourceView& view) {
    Collection<PodInfo> pods{
        .watcher = Watcher::pods,
        .query = "/api/v1/pods?fieldSelector=spec.nodeName%3D" + url_encode(settings.node) + "&",
        .list_name = "pod list",
        .watch_name = "the pods on " + settings.node,
        .parse_list = parse_pod_list,
        .parse_item = parse_pod,
        .replace = [&view](std::vector<PodInfo> all) { view.replace_pods(std::move(all)); },
        .apply = [&view](EventType type, PodInfo pod) { view.apply(type, std::move(pod)); },
        .unsync = [&view] { view.unsync_pods(); },
    };
    co_await run_list_watch(transport, settings, view, std::move(pods));
}

}  // namespace warren::kube
