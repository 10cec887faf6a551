#include "spawn.hpp"

#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "stats.hpp"

namespace warren::bench {

namespace {

Fd make_memfd(const char* name) {
    Fd fd{::memfd_create(name, MFD_CLOEXEC)};
    if (!fd) throw std::runtime_error(std::string("memfd_create: ") + std::strerror(errno));
    return fd;
}

void rewind_empty(int fd) {
    if (::ftruncate(fd, 0) != 0 || ::lseek(fd, 0, SEEK_SET) != 0)
        throw std::runtime_error(std::string("resetting an output memfd: ") + std::strerror(errno));
}

std::string read_all(int fd) {
    std::string out;
    char buf[4096];
    off_t off = 0;
    for (;;) {
        ssize_t n = ::pread(fd, buf, sizeof buf, off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return out;
        out.append(buf, static_cast<size_t>(n));
        off += n;
    }
}

}  // namespace

Env::Env(std::vector<std::string> vars) : vars_(std::move(vars)) { rebuild(); }

void Env::rebuild() {
    ptrs_.clear();
    for (auto& v : vars_) ptrs_.push_back(v.data());
    ptrs_.push_back(nullptr);
}

Slot::Slot(std::string program, const std::string& stdin_data, std::vector<std::string> args)
    : program_(std::move(program)),
      args_(std::move(args)),
      in_(make_memfd("bench-stdin")),
      out_(make_memfd("bench-stdout")),
      err_(make_memfd("bench-stderr")) {
    argv_ = {program_.data()};
    for (auto& a : args_) argv_.push_back(a.data());
    argv_.push_back(nullptr);
    size_t off = 0;
    while (off < stdin_data.size()) {
        ssize_t n = ::write(in_.get(), stdin_data.data() + off, stdin_data.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) throw std::runtime_error(std::string("writing stdin memfd: ") + std::strerror(errno));
        off += static_cast<size_t>(n);
    }
}

pid_t Slot::start(const Env& env) {
    // The child shares the file descriptions, so rewind stdin and empty the outputs first.
    if (::lseek(in_.get(), 0, SEEK_SET) != 0)
        throw std::runtime_error(std::string("rewinding stdin memfd: ") + std::strerror(errno));
    rewind_empty(out_.get());
    rewind_empty(err_.get());

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in_.get(), 0);
    posix_spawn_file_actions_adddup2(&fa, out_.get(), 1);
    posix_spawn_file_actions_adddup2(&fa, err_.get(), 2);
    pid_t pid = -1;
    int rc = ::posix_spawn(&pid, program_.c_str(), &fa, nullptr, argv_.data(), env.envp());
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) throw std::runtime_error("posix_spawn " + program_ + ": " + std::strerror(rc));
    return pid;
}

int Slot::reap(pid_t pid) {
    int status = 0;
    for (;;) {
        pid_t r = ::waitpid(pid, &status, 0);
        if (r == pid) break;
        if (r < 0 && errno == EINTR) continue;
        throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

RunResult Slot::run(const Env& env) {
    RunResult r;
    uint64_t t0 = now_ns();
    pid_t pid = start(env);
    r.exit_code = reap(pid);
    r.elapsed_ns = now_ns() - t0;
    return r;
}

std::string Slot::stdout_text() const { return read_all(out_.get()); }
std::string Slot::stderr_text() const { return read_all(err_.get()); }

}  // namespace warren::bench
