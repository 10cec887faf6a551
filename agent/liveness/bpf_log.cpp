#include "liveness/bpf_log.hpp"

#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>

#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

namespace warren::liveness {
namespace {

int to_spdlog(enum libbpf_print_level level, const char* format, va_list args) {
    char buf[1024];
    int n = std::vsnprintf(buf, sizeof buf, format, args);
    if (n < 0) return n;
    std::string line(buf, std::min<size_t>(static_cast<size_t>(n), sizeof buf - 1));
    while (!line.empty() && line.back() == '\n') line.pop_back();
    std::string_view text = line;
    if (text.starts_with("libbpf: ")) text.remove_prefix(8);  // most of its lines carry one
    auto lvl = level == LIBBPF_WARN   ? spdlog::level::warn
               : level == LIBBPF_INFO ? spdlog::level::info
                                      : spdlog::level::debug;
    // The kernel's netlink note on a tc call that failed: the failure comes back as an Error
    // with our context (or is expected, like clsact already existing), so it is detail only.
    if (text.starts_with("Kernel error message:")) lvl = spdlog::level::debug;
    spdlog::log(lvl, "libbpf: {}", text);
    return n;
}

}  // namespace

void route_libbpf_log() {
    libbpf_set_print(to_spdlog);
}

}  // namespace warren::liveness
