// warrend: the node-local IPAM agent.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "daemon.hpp"
#include "install/install_cni.hpp"
#include "liveness/detach_command.hpp"

int main(int argc, char** argv) {
    if (argc > 1 && std::string_view(argv[1]) == "install-cni")
        return warren::install::run_install_cni(std::vector<std::string>(argv + 2, argv + argc), stdout, stderr);
    auto cl = warren::config::parse_command_line(argc, argv);
    if (!cl) {
        std::fprintf(stderr, "warrend: %s\n", cl.error().describe().c_str());
        if (!cl.error().details.empty()) std::fprintf(stderr, "  %s\n", cl.error().details.c_str());
        return 2;
    }
    if (cl->help) {
        std::fputs(warren::config::usage().c_str(), stdout);
        return 0;
    }
    if (cl->version) {
        std::printf("warrend %s\n", WARREN_VERSION);
        return 0;
    }
    ::signal(SIGPIPE, SIG_IGN);
    auto logger = spdlog::stderr_color_mt("warrend");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
    spdlog::set_level(spdlog::level::from_str(cl->config.log_level == "warning" ? "warn" : cl->config.log_level));
    if (cl->detach_all) {
        auto out = warren::liveness::run_detach_all(cl->config.bpffs_dir);
        std::fprintf(out.ok ? stdout : stderr, "%s\n", out.summary.c_str());
        return out.exit_code();
    }
    spdlog::info("warrend {} starting (state {}, socket {})", WARREN_VERSION, cl->config.state_dir, cl->config.socket);
    auto st = warren::run_daemon(cl->config);
    if (!st) {
        spdlog::critical("{}", st.error().describe());
        if (!st.error().details.empty()) spdlog::critical("{}", st.error().details);
        return 1;
    }
    return 0;
}
