#pragma once
// What every benchmark part needs around its measurement: progress lines, a temp dir that is
// removed at the end, a warrend of its own (started from a config file, ready once it answers a
// ping, stopped by the destructor), and the CNI environment of an exec'd plugin.
#include <sys/types.h>

#include <string>

#include "spawn.hpp"

namespace warren::bench {

// "warren-bench: <s>" on stderr.
void progress(const std::string& s);
// Throws std::runtime_error when the file cannot be written.
void write_file(const std::string& path, const std::string& data);

// mkdtemp under `parent`; removed with everything in it unless `keep`.
class TempDir {
  public:
    TempDir(const std::string& parent, bool keep);
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }

  private:
    std::string path_;
    bool keep_;
};

// warrend --config <config>, output to `log`; the constructor returns once `socket` answers a
// ping (throws with the log's tail when it exits or does not answer within 10 s).
class Agent {
  public:
    Agent(const std::string& binary, const std::string& config, const std::string& log,
          const std::string& socket);
    ~Agent() { stop(); }
    Agent(const Agent&) = delete;
    Agent& operator=(const Agent&) = delete;

    pid_t pid() const { return pid_; }
    // SIGTERM, then SIGKILL after 5 s. Returns the exit code (-1 when killed or not running).
    int stop();
    std::string log_tail(size_t lines = 15) const;

  private:
    void wait_ready();

    std::string socket_, log_;
    pid_t pid_ = 0;
    int exit_code_ = -1;
};

// user+sys CPU seconds of every thread of `pid` (clock ticks resolution).
double process_cpu_s(pid_t pid);
// user+sys CPU seconds of this process's reaped children.
double children_cpu_s();

struct Peer {
    std::string name;     // column title
    std::string program;  // the IPAM plugin binary
    std::string cni_path;
    std::string conf;  // network config on stdin
};

// The environment of CNI `command` for container `cid`, pod number `pod` (its K8S_* CNI_ARGS).
Env cni_env(const Peer& p, const char* command, const std::string& cid, int pod);
// Throws std::runtime_error with the plugin's output unless the run succeeded (an ADD with "ips").
void expect_ok(const Peer& p, const Slot& slot, const RunResult& r, const char* command,
               const std::string& cid);

}  // namespace warren::bench
