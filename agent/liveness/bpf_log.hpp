#pragma once
// Routes libbpf's log into spdlog: libbpf warnings -> warn, info -> info, debug -> debug
// (verifier logs of a failed load arrive as warnings). Process-wide; call once before loading.
namespace warren::liveness {
void route_libbpf_log();
}
