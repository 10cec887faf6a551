#pragma once
// Child processes for the integration tests: one-shot commands with stdin/stdout/stderr and a
// timeout, and long-running children (warrend) whose output goes to a log file.
//
// Thread-safety: run() and Child::spawn() may be called from many threads at once; pipes are
// created close-on-exec, so one thread's child never holds another's pipe open.
// Every child is the leader of its own process group, so a timeout kills what it started too.
#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace warren::it {

using Env = std::map<std::string, std::string>;
using namespace std::chrono_literals;

struct RunSpec {
    std::vector<std::string> argv;   // argv[0]: a path, or a name looked up in PATH
    std::optional<Env> env;          // the whole environment; nullopt inherits ours
    Env extra_env;                   // set on top of `env` (or of ours)
    std::string input;               // written to stdin, which is then closed
    std::chrono::milliseconds timeout = 10s;  // then the process group gets SIGKILL
};

struct RunResult {
    int exit_code = -1;     // exit status, or 128 + signal when killed
    bool timed_out = false;
    bool spawn_failed = false;
    std::string out, err;

    bool ok() const { return exit_code == 0 && !timed_out; }
    // "exit 1, stdout '...', stderr '...'" for assertion messages.
    std::string describe() const;
};

RunResult run(const RunSpec& spec);
// Inherits our environment, no stdin.
RunResult run_cmd(std::vector<std::string> argv, std::chrono::milliseconds timeout = 10s);

// A background child; stdin is /dev/null, stdout and stderr are appended to `log_path`.
// The destructor kills it (SIGKILL to its process group) and reaps it.
class Child {
public:
    Child() = default;
    Child(Child&& o) noexcept : pid_(o.pid_), status_(o.status_) { o.pid_ = -1; }
    Child& operator=(Child&& o) noexcept;
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    ~Child() { kill9(); }

    // On failure returns an empty Child and sets `why`.
    static Child spawn(const std::vector<std::string>& argv, const Env& extra_env,
                       const std::string& log_path, std::string& why);

    pid_t pid() const { return pid_; }
    bool valid() const { return pid_ > 0; }
    // True while the process has not exited (reaps it if it has).
    bool alive();
    // Exit status as in RunResult, once it has exited and been reaped.
    std::optional<int> exit_code() const { return status_; }
    void signal(int sig) const;
    // Waits for the exit; false on timeout.
    bool wait(std::chrono::milliseconds timeout);
    void kill9();

private:
    pid_t pid_ = -1;
    std::optional<int> status_;
};

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& data);

}  // namespace warren::it
