#pragma once
// The shape the pod and namespace watchers share: list a collection (pages of 500), then watch it
// from the list's resourceVersion, resuming after a watch the server ends normally, re-listing at
// once after a 410 and after a back-off on other errors (with the error in status()).
#include <utility>
// <utility> first: Boost 1.74's asio/awaitable.hpp uses std::exchange without it.
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "kube/objects.hpp"
#include "kube/source.hpp"
#include "kube/transport.hpp"
#include "kube/view.hpp"

namespace warren::kube {

template <class Item>
struct Collection {
    Watcher watcher;
    // The collection's path and query up to where limit/continue or the watch parameters follow:
    // "/api/v1/pods?fieldSelector=spec.nodeName%3DNODE&", "/api/v1/namespaces?".
    std::string query;
    std::string list_name;   // for messages: "pod list"
    std::string watch_name;  // for messages: "the pods on node-a"
    std::function<Result<ObjectList<Item>>(const nlohmann::json&)> parse_list;
    std::function<Result<Item>(const nlohmann::json&)> parse_item;
    // A complete list (every page).
    std::function<void(std::vector<Item>)> replace;
    // An ADDED / MODIFIED / DELETED event.
    std::function<void(EventType, Item)> apply;
    // The view is no longer complete: an error, or a 410 until the re-list.
    std::function<void()> unsync;
};

// Runs until its io_context stops.
template <class Item>
boost::asio::awaitable<void> run_list_watch(Transport& transport, const Settings& settings,
                                            SourceView& view, Collection<Item> collection);

}  // namespace warren::kube
