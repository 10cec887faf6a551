#pragma once
// Where the agent and the plugin meet when nothing is configured: both must agree.
#include <string>
#include <string_view>

namespace warren {

inline constexpr std::string_view kDefaultSocket = "/run/warren/warren.sock";
inline constexpr std::string_view kDefaultStateDir = "/var/lib/warren";
// The admin socket (warrenctl) and the metrics listener (GET /metrics).
inline constexpr std::string_view kDefaultAdminSocket = "/run/warren/admin.sock";
inline constexpr std::string_view kDefaultMetricsAddress = "127.0.0.1:9464";
// Where the agent pins its liveness maps (liveness.bpffsDir).
inline constexpr std::string_view kDefaultBpffsDir = "/sys/fs/bpf/warren";

// The delete queue beside the socket: dirname(socket) + "/delete-queue" ("./delete-queue" for a
// bare file name).
std::string default_delete_queue_dir(std::string_view socket);

}  // namespace warren
