#include "harness.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "warren/client.hpp"

namespace fs = std::filesystem;

namespace warren::bench {

void progress(const std::string& s) {
    std::fprintf(stderr, "warren-bench: %s\n", s.c_str());
    std::fflush(stderr);
}

void write_file(const std::string& path, const std::string& data) {
    std::ofstream out(path, std::ios::trunc);
    out << data;
    if (!out) throw std::runtime_error("cannot write " + path);
}

TempDir::TempDir(const std::string& parent, bool keep) : keep_(keep) {
    std::string tmpl = parent + "/warren-bench.XXXXXX";
    if (!::mkdtemp(tmpl.data()))
        throw std::runtime_error("mkdtemp in " + parent + ": " + std::strerror(errno));
    path_ = tmpl;
}

TempDir::~TempDir() {
    if (keep_) {
        progress("kept " + path_);
        return;
    }
    std::error_code ec;
    fs::remove_all(path_, ec);
}

Agent::Agent(const std::string& binary, const std::string& config, const std::string& log,
             const std::string& socket)
    : socket_(socket), log_(log) {
    int logfd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (logfd < 0) throw std::runtime_error("cannot create " + log);
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid_ == 0) {
        // Never outlive the bench, even when it is killed -9.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        ::dup2(logfd, 1);
        ::dup2(logfd, 2);
        // Metrics off: two bench agents (--ebpf-ab) or a node's own warrend would share a port.
        ::execl(binary.c_str(), binary.c_str(), "--config", config.c_str(), "--metrics-address",
                "off", static_cast<char*>(nullptr));
        std::fprintf(stderr, "exec %s: %s\n", binary.c_str(), std::strerror(errno));
        ::_exit(127);
    }
    ::close(logfd);
    try {
        wait_ready();
    } catch (...) {
        stop();
        throw;
    }
}

int Agent::stop() {
    if (pid_ <= 0) return exit_code_;
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 500; ++i) {
        pid_t r = ::waitpid(pid_, &status, WNOHANG);
        if (r == pid_) {
            pid_ = 0;
            exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
            return exit_code_;
        }
        ::usleep(10'000);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    pid_ = 0;
    return exit_code_ = -1;
}

std::string Agent::log_tail(size_t lines) const {
    std::ifstream in(log_);
    std::vector<std::string> all;
    for (std::string l; std::getline(in, l);) all.push_back(l);
    std::string out;
    for (size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i)
        out += "    " + all[i] + "\n";
    return out;
}

void Agent::wait_ready() {
    warren::proto::Request ping;
    ping.op = warren::proto::Op::ping;
    for (int i = 0; i < 1000; ++i) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = 0;
            throw std::runtime_error("warrend exited during start-up:\n" + log_tail());
        }
        auto r = warren::proto::call(socket_, ping, {.timeout_ms = 500});
        if (r && r->ok) return;
        ::usleep(10'000);
    }
    throw std::runtime_error("warrend did not answer a ping within 10 s:\n" + log_tail());
}

double process_cpu_s(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(in, line);
    auto close = line.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream ss(line.substr(close + 2));
    std::string f;
    unsigned long long ut = 0, st = 0;
    for (int field = 3; ss >> f; ++field) {  // field numbers as in proc(5)
        if (field == 14) ut = std::stoull(f);
        if (field == 15) {
            st = std::stoull(f);
            break;
        }
    }
    return static_cast<double>(ut + st) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double children_cpu_s() {
    rusage ru{};
    ::getrusage(RUSAGE_CHILDREN, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

Env cni_env(const Peer& p, const char* command, const std::string& cid, int pod) {
    char uid[64];
    std::snprintf(uid, sizeof uid, "0b5e3f7a-0000-4000-8000-%012d", pod);
    return Env({std::string("CNI_COMMAND=") + command, "CNI_CONTAINERID=" + cid,
                "CNI_NETNS=/proc/self/ns/net", "CNI_IFNAME=eth0", "CNI_PATH=" + p.cni_path,
                "CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE=bench;K8S_POD_NAME=pod-" +
                    std::to_string(pod) + ";K8S_POD_INFRA_CONTAINER_ID=" + cid +
                    ";K8S_POD_UID=" + uid,
                "PATH=/usr/sbin:/usr/bin:/sbin:/bin"});
}

void expect_ok(const Peer& p, const Slot& slot, const RunResult& r, const char* command,
               const std::string& cid) {
    if (r.exit_code == 0 && (std::strcmp(command, "ADD") != 0 ||
                             slot.stdout_text().find("\"ips\"") != std::string::npos))
        return;
    throw std::runtime_error(p.name + " " + command + " " + cid + " failed (exit " +
                             std::to_string(r.exit_code) + "): " + slot.stdout_text() +
                             slot.stderr_text());
}

}  // namespace warren::bench
