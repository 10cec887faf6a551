#include "process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

extern char** environ;

namespace warren::it {

namespace {

using Clock = std::chrono::steady_clock;

void ignore_sigpipe_once() {
    static std::once_flag once;
    std::call_once(once, [] { ::signal(SIGPIPE, SIG_IGN); });
}

std::vector<std::string> build_env(const std::optional<Env>& base, const Env& extra) {
    Env merged;
    if (base) {
        merged = *base;
    } else {
        for (char** e = environ; e && *e; ++e) {
            std::string s(*e);
            auto eq = s.find('=');
            if (eq != std::string::npos) merged[s.substr(0, eq)] = s.substr(eq + 1);
        }
    }
    for (auto& [k, v] : extra) merged[k] = v;
    std::vector<std::string> out;
    for (auto& [k, v] : merged) out.push_back(k + "=" + v);
    return out;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
    std::vector<char*> out;
    for (auto& s : v) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

int decode_status(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

// Spawn attributes shared by every child: own process group, default SIGPIPE (we ignore it),
// nothing blocked.
struct Attr {
    posix_spawnattr_t a;
    Attr() {
        posix_spawnattr_init(&a);
        sigset_t def, none;
        sigemptyset(&def);
        sigaddset(&def, SIGPIPE);
        sigemptyset(&none);
        posix_spawnattr_setsigdefault(&a, &def);
        posix_spawnattr_setsigmask(&a, &none);
        posix_spawnattr_setpgroup(&a, 0);
        posix_spawnattr_setflags(&a, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);
    }
    ~Attr() { posix_spawnattr_destroy(&a); }
};

void close_fd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

}  // namespace

std::string RunResult::describe() const {
    std::ostringstream s;
    if (spawn_failed)
        s << "could not spawn";
    else if (timed_out)
        s << "TIMED OUT";
    else
        s << "exit " << exit_code;
    s << ", stdout '" << out << "', stderr '" << err << "'";
    return s.str();
}

RunResult run(const RunSpec& spec) {
    ignore_sigpipe_once();
    RunResult r;
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
        r.spawn_failed = true;
        r.err = std::string("pipe2: ") + std::strerror(errno);
        for (int* p : {in, out, err}) close_fd(p[0]), close_fd(p[1]);
        return r;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    Attr attr;
    auto env_strings = build_env(spec.env, spec.extra_env);
    auto envp = c_strings(env_strings);
    std::vector<std::string> argv_strings = spec.argv;
    auto argv = c_strings(argv_strings);
    pid_t pid = -1;
    int rc = ::posix_spawnp(&pid, argv_strings.at(0).c_str(), &fa, &attr.a, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    close_fd(in[0]);
    close_fd(out[1]);
    close_fd(err[1]);
    if (rc != 0) {
        r.spawn_failed = true;
        r.err = "posix_spawn " + argv_strings[0] + ": " + std::strerror(rc);
        close_fd(in[1]), close_fd(out[0]), close_fd(err[0]);
        return r;
    }

    const auto deadline = Clock::now() + spec.timeout;
    size_t written = 0;
    if (spec.input.empty()) close_fd(in[1]);
    else ::fcntl(in[1], F_SETFL, O_NONBLOCK);
    auto kill_group = [&] {
        if (!r.timed_out) {
            r.timed_out = true;
            ::kill(-pid, SIGKILL);
            ::kill(pid, SIGKILL);
        }
    };
    char buf[65536];
    while (out[0] >= 0 || err[0] >= 0) {
        pollfd fds[3];
        int n = 0;
        int idx_in = -1, idx_out = -1, idx_err = -1;
        if (in[1] >= 0) idx_in = n, fds[n++] = {in[1], POLLOUT, 0};
        if (out[0] >= 0) idx_out = n, fds[n++] = {out[0], POLLIN, 0};
        if (err[0] >= 0) idx_err = n, fds[n++] = {err[0], POLLIN, 0};
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) {
            kill_group();
            left = 1000;  // the killed group closes its pipes; bounded grace to drain them
            if (Clock::now() > deadline + 5s) break;
        }
        int got = ::poll(fds, static_cast<nfds_t>(n), static_cast<int>(left));
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) break;
        if (idx_in >= 0 && fds[idx_in].revents) {
            ssize_t w = ::write(in[1], spec.input.data() + written, spec.input.size() - written);
            if (w > 0) written += static_cast<size_t>(w);
            if (w < 0 && errno != EAGAIN && errno != EINTR) written = spec.input.size();  // EPIPE: child gone
            if (written >= spec.input.size()) close_fd(in[1]);
        }
        for (auto [idx, fd, dst] : {std::tuple{idx_out, &out[0], &r.out}, std::tuple{idx_err, &err[0], &r.err}}) {
            if (idx < 0 || !fds[idx].revents) continue;
            ssize_t k = ::read(*fd, buf, sizeof buf);
            if (k > 0) dst->append(buf, static_cast<size_t>(k));
            else if (k == 0 || (errno != EINTR && errno != EAGAIN)) close_fd(*fd);
        }
    }
    close_fd(in[1]), close_fd(out[0]), close_fd(err[0]);
    int status = 0;
    for (;;) {
        pid_t w = ::waitpid(pid, &status, WNOHANG);
        if (w == pid) break;
        if (w < 0 && errno != EINTR) {
            status = -1;
            break;
        }
        if (Clock::now() > deadline) kill_group();
        std::this_thread::sleep_for(1ms);
    }
    r.exit_code = status == -1 ? -1 : decode_status(status);
    return r;
}

RunResult run_cmd(std::vector<std::string> argv, std::chrono::milliseconds timeout) {
    RunSpec s;
    s.argv = std::move(argv);
    s.timeout = timeout;
    return run(s);
}

Child& Child::operator=(Child&& o) noexcept {
    if (this != &o) {
        kill9();
        pid_ = o.pid_;
        status_ = o.status_;
        o.pid_ = -1;
    }
    return *this;
}

Child Child::spawn(const std::vector<std::string>& argv_in, const Env& extra_env, const std::string& log_path,
                   std::string& why) {
    ignore_sigpipe_once();
    Child c;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    Attr attr;
    auto env_strings = build_env(std::nullopt, extra_env);
    auto envp = c_strings(env_strings);
    std::vector<std::string> argv_strings = argv_in;
    auto argv = c_strings(argv_strings);
    int rc = ::posix_spawnp(&c.pid_, argv_strings.at(0).c_str(), &fa, &attr.a, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        why = "posix_spawn " + argv_strings[0] + ": " + std::strerror(rc);
        c.pid_ = -1;
    }
    return c;
}

bool Child::alive() {
    if (pid_ <= 0 || status_) return false;
    int status = 0;
    pid_t w = ::waitpid(pid_, &status, WNOHANG);
    if (w == pid_) {
        status_ = decode_status(status);
        return false;
    }
    return w == 0;
}

void Child::signal(int sig) const {
    if (pid_ > 0 && !status_) ::kill(pid_, sig);
}

bool Child::wait(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (alive()) {
        if (Clock::now() > deadline) return false;
        std::this_thread::sleep_for(2ms);
    }
    return true;
}

void Child::kill9() {
    if (pid_ <= 0) return;
    if (!status_) {
        ::kill(-pid_, SIGKILL);
        ::kill(pid_, SIGKILL);
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        status_ = decode_status(status);
    }
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write_file(const std::string& path, const std::string& data) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

}  // namespace warren::it
