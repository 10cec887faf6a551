// Whom the plugin trusts on the socket (issue 6, defect 4) and what it says when it cannot use
// it (defect 10): a stand-in agent in a child process that serves the socket as root or as
// uid 65534, and the plugin run as uid 65534 against a socket only root may use.
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <optional>

#include "fixture.hpp"
#include "warren/fd.hpp"
#include "warren/protocol.hpp"

namespace warren::it {
namespace {

constexpr uid_t kNobody = 65534;

// A stand-in for warrend in a child process. The child binds `path` as root and, when `uid` is
// set, becomes that uid before listen() (SO_PEERCRED reports the listener's credentials as of
// listen()). It answers every request frame with one fixed ADD success and sends, per
// connection, how many bytes it received to the parent.
class FakeAgentProcess {
  public:
    FakeAgentProcess(const std::string& path, std::optional<uid_t> uid) {
        const std::string answer =
            proto::encode_frame(proto::Kind::response,
                                proto::encode(proto::Response{
                                    true, Code::internal, {}, {}, {{"10.1.0.5/24", "10.1.0.1"}}}));
        int ready[2], report[2];
        if (::pipe2(ready, O_CLOEXEC) != 0 || ::pipe2(report, O_CLOEXEC | O_NONBLOCK) != 0) {
            ADD_FAILURE() << "pipe: " << std::strerror(errno);
            return;
        }
        pid_ = ::fork();
        if (pid_ < 0) {
            ADD_FAILURE() << "fork: " << std::strerror(errno);
            return;
        }
        if (pid_ == 0) serve(path, uid, answer, ready[1], report[1]);  // never returns
        ::close(ready[1]);
        ::close(report[1]);
        report_.reset(report[0]);
        char c = 0;
        ready_ = ::read(ready[0], &c, 1) == 1 && c == 'y';
        ::close(ready[0]);
    }
    ~FakeAgentProcess() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
    FakeAgentProcess(const FakeAgentProcess&) = delete;
    FakeAgentProcess& operator=(const FakeAgentProcess&) = delete;

    bool ready() const { return ready_; }

    // Bytes received per finished connection, in order (waits up to 5 s for the first).
    std::vector<uint64_t> connections() {
        std::vector<uint64_t> out;
        pollfd p{report_.get(), POLLIN, 0};
        if (::poll(&p, 1, 5000) <= 0) return out;
        uint64_t n = 0;
        while (::read(report_.get(), &n, sizeof n) == static_cast<ssize_t>(sizeof n))
            out.push_back(n);
        return out;
    }

  private:
    [[noreturn]] static void serve(const std::string& path, std::optional<uid_t> uid,
                                   const std::string& answer, int ready, int report) {
        auto give_up = [&] {
            (void)!::write(ready, "n", 1);
            ::_exit(1);
        };
        int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
        if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) give_up();
        if (uid && (::setgroups(0, nullptr) != 0 || ::setresgid(*uid, *uid, *uid) != 0 ||
                    ::setresuid(*uid, *uid, *uid) != 0))
            give_up();
        if (::listen(fd, 16) != 0) give_up();
        (void)!::write(ready, "y", 1);
        static uint8_t buf[1 << 16];
        for (;;) {
            int conn = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
            if (conn < 0) continue;
            uint64_t have = 0, need = proto::kHeaderSize;
            bool answered = false;
            for (;;) {
                pollfd p{conn, POLLIN, 0};
                if (::poll(&p, 1, 5000) <= 0) break;
                const ssize_t n = ::read(conn, buf + have, sizeof buf - have);
                if (n <= 0) break;
                have += static_cast<uint64_t>(n);
                if (need == proto::kHeaderSize && have >= need) {
                    auto len = proto::decode_header(buf, proto::Kind::request,
                                                    sizeof buf - proto::kHeaderSize);
                    if (!len) break;
                    need += *len;
                }
                if (!answered && have >= need) {
                    (void)!::write(conn, answer.data(), answer.size());
                    answered = true;
                }
            }
            (void)!::write(report, &have, sizeof have);
            ::close(conn);
        }
    }

    pid_t pid_ = -1;
    bool ready_ = false;
    Fd report_;
};

class TrustTest : public IntegrationTest {
  protected:
    std::string socket() const { return tmp("agent.sock"); }
    json conf(const json& extra = json::object()) const {
        return plugin_conf("wrn-trust", warren_ipam(socket(), extra), "1.0.0");
    }
    static CniCall add() { return call("ADD", "trust-pod", "/var/run/netns/none"); }
};

TEST_F(TrustTest, SocketServedByAnotherUserIsRefusedBeforeAnythingIsSent) {
    WARREN_REQUIRE_ROOT();
    FakeAgentProcess fake(socket(), kNobody);
    ASSERT_TRUE(fake.ready());
    auto r = warren_plugin(conf(), add());
    EXPECT_EQ(r.code(), 5) << r.describe();
    const std::string msg = r.j.value("msg", "");
    EXPECT_NE(msg.find("the socket " + socket() + " is served by pid "), std::string::npos) << msg;
    EXPECT_NE(msg.find("running as uid 65534, which is neither root nor the agent user; the plugin "
                       "does not trust it. If warrend runs as that user, name it in "
                       "ipam.agentUser"),
              std::string::npos)
        << msg;
    EXPECT_TRUE(r.addresses().empty()) << "the fake agent's answer was used: " << r.out;
    EXPECT_EQ(fake.connections(), std::vector<uint64_t>{0}) << "the request reached the fake agent";

    auto del = warren_plugin(conf(), call("DEL", "trust-pod"));
    EXPECT_EQ(del.code(), 5) << del.describe();
    EXPECT_FALSE(std::filesystem::exists(tmp("delete-queue"))) << "a refused DEL was queued";
}

TEST_F(TrustTest, SocketServedByRootIsUsed) {
    WARREN_REQUIRE_ROOT();
    FakeAgentProcess fake(socket(), std::nullopt);
    ASSERT_TRUE(fake.ready());
    auto r = warren_plugin(conf(), add());
    ASSERT_TRUE(r.ok()) << r.describe();
    EXPECT_EQ(r.addresses(), std::vector<std::string>{"10.1.0.5/24"});
    auto seen = fake.connections();
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_GT(seen[0], proto::kHeaderSize);
}

TEST_F(TrustTest, AgentUserByUidOrNameIsTrusted) {
    WARREN_REQUIRE_ROOT();
    FakeAgentProcess fake(socket(), kNobody);
    ASSERT_TRUE(fake.ready());
    for (json user : {json(65534), json("65534"), json("nobody")}) {
        auto r = warren_plugin(conf({{"agentUser", user}}), add());
        ASSERT_TRUE(r.ok()) << user << ": " << r.describe();
        EXPECT_EQ(r.addresses(), std::vector<std::string>{"10.1.0.5/24"}) << user;
    }
    auto other = warren_plugin(conf({{"agentUser", 4242}}), add());
    EXPECT_EQ(other.code(), 5) << other.describe();
    EXPECT_NE(other.msg().find("neither root nor the agent user (uid 4242)"), std::string::npos)
        << other.msg();
    auto unknown = warren_plugin(conf({{"agentUser", "no-such-user-wrn"}}), add());
    EXPECT_EQ(unknown.code(), 7) << unknown.describe();
    EXPECT_EQ(unknown.msg(),
              "ipam.agentUser: there is no user 'no-such-user-wrn' in /etc/passwd; "
              "name a user listed there, or give the uid");
}

// The plugin runs as uid 65534 against the real warrend's 0660 root:root socket.
TEST_F(TrustTest, PermissionDeniedSaysWhoMayNotConnectAndWhatToDo) {
    WARREN_REQUIRE_ROOT();
    ASSERT_TRUE(agent().start({.pod_cidrs = {"10.199.0.0/24"}}));
    for (auto dir : {tmp(), agent().dir()}) ASSERT_EQ(::chmod(dir.c_str(), 0755), 0) << dir;
    const std::string wrapper = tmp("as-nobody.sh");
    write_file(wrapper, "#!/bin/sh\nexec setpriv --reuid=65534 --regid=65534 --clear-groups " +
                            plugin_path() + "\n");
    ASSERT_EQ(::chmod(wrapper.c_str(), 0755), 0);
    auto r =
        cni_exec(wrapper, plugin_conf("wrn-trust", warren_ipam(agent().socket()), "1.0.0"), add());
    EXPECT_EQ(r.code(), 11) << r.describe();
    EXPECT_EQ(r.msg(), "cannot reach warrend: the plugin (uid 65534) may not connect to " +
                           agent().socket() +
                           " (Permission denied); run the plugin as root, or allow its group with "
                           "warrend's socketGroup (--socket-group)");
}

}  // namespace
}  // namespace warren::it
