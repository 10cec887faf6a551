#pragma once
// Runs a program the way a container runtime runs a CNI plugin: posix_spawn, the network config
// on stdin, the CNI_* variables in the environment, the result read from stdout.
//
// Everything that can be prepared ahead is: stdin, stdout and stderr are memfds owned by the
// Slot (rewound before each run), argv and envp are built before the timed call. A Slot runs one
// child at a time; concurrent runs use one Slot each. Not thread-safe per Slot.
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "warren/fd.hpp"

namespace warren::bench {

// A prepared environment: the strings and the NULL-terminated pointer array into them.
class Env {
public:
    Env() = default;
    explicit Env(std::vector<std::string> vars);
    Env(const Env&) = delete;
    Env& operator=(const Env&) = delete;
    Env(Env&& o) noexcept : vars_(std::move(o.vars_)) { rebuild(); }
    Env& operator=(Env&& o) noexcept {
        vars_ = std::move(o.vars_);
        rebuild();
        return *this;
    }
    char* const* envp() const { return ptrs_.data(); }

private:
    void rebuild();
    std::vector<std::string> vars_;
    std::vector<char*> ptrs_;
};

struct RunResult {
    int exit_code = -1;        // -1 when killed by a signal
    uint64_t elapsed_ns = 0;   // spawn to reap
};

class Slot {
public:
    // `program` is exec'd with argv {program, args...}; `stdin_data` is what every run reads.
    Slot(std::string program, const std::string& stdin_data, std::vector<std::string> args = {});

    // Starts the child; throws std::runtime_error when posix_spawn fails.
    pid_t start(const Env& env);
    // Reaps `pid` (retrying on EINTR); returns its exit code or -1.
    static int reap(pid_t pid);
    // start + reap, timed.
    RunResult run(const Env& env);

    std::string stdout_text() const;
    std::string stderr_text() const;

private:
    std::string program_;
    std::vector<std::string> args_;
    std::vector<char*> argv_;
    Fd in_, out_, err_;
};

}  // namespace warren::bench
