#include "kube/list_watch.hpp"
#include "kube/watchers.hpp"

namespace warren::kube {

namespace net = boost::asio;

net::awaitable<void> run_namespace_watcher(Transport& transport, const Settings& settings,
                                           SourceView& view, NamespaceView& namespaces,
                                           Source::NamespacesHandler on_change) {
    auto changed = [on_change = std::move(on_change)] {
        if (on_change) on_change();
    };
    Collection<NamespaceInfo> collection{
        .watcher = Watcher::namespaces,
        .query = "/api/v1/namespaces?",
        .list_name = "namespace list",
        .watch_name = "the namespaces",
        .parse_list = parse_namespace_list,
        .parse_item = parse_namespace,
        .replace =
            [&namespaces, changed](std::vector<NamespaceInfo> all) {
                namespaces.replace(std::move(all));
                changed();
            },
        .apply =
            [&namespaces, changed](EventType type, NamespaceInfo ns) {
                if (namespaces.apply(type, std::move(ns))) changed();
            },
        .unsync = [&namespaces] { namespaces.unsync(); },
    };
    co_await run_list_watch(transport, settings, view, std::move(collection));
}

}  // namespace warren::kube
