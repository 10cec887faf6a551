#pragma once
// The watchers' shared retry policy: exponential back-off, and errors logged once per change.
#include <utility>
// <utility> first: Boost 1.74's asio/awaitable.hpp uses std::exchange without it.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <string>

#include "kube/view.hpp"

namespace warren::kube {

// 0.5 s doubling to 30 s; reset() after a success.
class Backoff {
  public:
    std::chrono::milliseconds next() {
        const auto now = current_;
        current_ = std::min(current_ * 2, kMax);
        return now;
    }
    void reset() { current_ = kFirst; }

  private:
    static constexpr std::chrono::milliseconds kFirst{500};
    static constexpr std::chrono::milliseconds kMax{30'000};
    std::chrono::milliseconds current_ = kFirst;
};

inline boost::asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, d);
    boost::system::error_code ec;
    co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
}

inline const char* watcher_name(Watcher w) {
    switch (w) {
        case Watcher::node:
            return "node";
        case Watcher::pods:
            return "pods";
        case Watcher::namespaces:
            return "namespaces";
    }
    return "?";
}

// Records the error; logs it only when it differs from this watcher's last one.
inline void report_error(SourceView& view, Watcher w, const std::string& text) {
    if (view.set_error(w, text)) {
        spdlog::warn("kube: {}: {}; retrying with back-off", watcher_name(w), text);
    }
}

inline void report_ok(SourceView& view, Watcher w) {
    view.touch();
    if (view.clear_error(w)) spdlog::info("kube: {}: the API answers again", watcher_name(w));
}

}  // namespace warren::kube
