#pragma once
// A warrend under test: its own state dir, socket and log in a directory the test owns.
// start() returns once the socket accepts connections; the destructor kill -9s it, so no test
// ever leaves an agent running.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "process.hpp"

#ifndef WARREN_BIN_DIR
#error "WARREN_BIN_DIR must name the directory of the built warrend and warren"
#endif

namespace warren::it {

inline std::string bin_dir() { return WARREN_BIN_DIR; }
inline std::string warrend_path() { return bin_dir() + "/warrend"; }
inline std::string plugin_path() { return bin_dir() + "/warren"; }

struct AgentSpec {
    std::vector<std::string> pod_cidrs;  // one --pod-cidr each
    std::optional<int> cooldown;         // --cooldown; nullopt keeps warrend's default
    // --ebpf: "off" unless a test asks for eBPF, so no test pins under the global
    // /sys/fs/bpf/warren or attaches to links it does not own; with it, give bpffs_dir.
    std::string ebpf = "off";
    std::string bpffs_dir;             // --bpffs-dir when not empty
    std::optional<int> gc_interval;    // --gc-interval
    std::optional<int> gc_grace;       // --gc-grace
    // --metrics-address: "off" so that agents never compete for warrend's default port;
    // "127.0.0.1:0" picks a free one (Agent::metrics_port reads it from the log).
    std::string metrics_address = "off";
    std::vector<std::string> extra_args;
    bool socket_activated = false;       // run under systemd-socket-activate -l <socket>
    std::vector<std::string> wrapper;    // exec'd in front of warrend (e.g. prlimit ...), same pid
};

class Agent {
public:
    // Lays out <dir>/state, <dir>/warren.sock, <dir>/delete-queue and <dir>/warrend.log.
    explicit Agent(std::string dir);
    ~Agent() { kill9(); }
    Agent(const Agent&) = delete;
    Agent& operator=(const Agent&) = delete;

    // The full command line for `spec` (without the socket-activation wrapper).
    std::vector<std::string> command(const AgentSpec& spec) const;

    // Starts warrend and waits until its socket accepts. Fails (with the log) if it exits.
    ::testing::AssertionResult start(const AgentSpec& spec, std::chrono::milliseconds timeout = 10s);
    // Starts again with the last spec, on the same state.
    ::testing::AssertionResult restart() { return start(spec_); }
    // SIGTERM; succeeds when warrend exits 0 within the timeout (else it is killed).
    ::testing::AssertionResult stop(std::chrono::milliseconds timeout = 5s);
    void kill9() { child_.kill9(); }
    bool running() { return child_.alive(); }
    pid_t pid() const { return child_.pid(); }

    const std::string& dir() const { return dir_; }
    const std::string& state_dir() const { return state_dir_; }
    const std::string& socket() const { return socket_; }
    std::string queue_dir() const { return dir_ + "/delete-queue"; }
    std::string journal() const { return state_dir_ + "/journal.wal"; }
    const std::string& log_path() const { return log_; }
    std::string log() const { return read_file(log_); }
    // The metrics port the running agent logged ("metrics: serving GET /metrics on H:P"); 0 if none.
    uint16_t metrics_port() const;

private:
    std::string dir_, state_dir_, socket_, log_;
    AgentSpec spec_;
    Child child_;
};

// True when a connect() to the Unix socket at `path` succeeds.
bool socket_accepts(const std::string& path);

}  // namespace warren::it
