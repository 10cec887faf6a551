#pragma once
// Routes libbpf's log into spdlog: libbpf warnings -> warn, info -> info, debug -> debug
// (verifier logs of a failed load arrive as warnings); the kernel's netlink note on a failed tc
// call goes to debug, since that failure comes back as an Error. Process-wide and idempotent;
// Program::load and detach_all call it.
namespace warren::liveness {
void route_libbpf_log();
}
