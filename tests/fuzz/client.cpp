// The plugin's side of an exchange (proto::call) against an agent that answers with the input's
// bytes and closes: partial frames, bad headers, lying lengths and malformed JSON must each
// come back as the error the plugin reports, and an answer that is whole as what it says.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>

#include "fuzz.hpp"
#include "warren/client.hpp"
#include "warren/fd.hpp"

using namespace warren;

namespace {

void remove_files();

// A fake agent on a Unix socket in a private directory, serving one connection per input on its
// own thread. Never destroyed: it lives as long as the fuzzing process.
class FakeAgent {
  public:
    FakeAgent() {
        const char* tmp = std::getenv("TMPDIR");
        dir_ = std::string(tmp && *tmp ? tmp : "/tmp") + "/warren-fuzz-client-XXXXXX";
        FUZZ_CHECK(::mkdtemp(dir_.data()) != nullptr);
        path_ = dir_ + "/agent.sock";
        listener_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        FUZZ_CHECK(path_.size() < sizeof addr.sun_path);
        std::memcpy(addr.sun_path, path_.data(), path_.size());
        FUZZ_CHECK(::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        FUZZ_CHECK(::listen(listener_.get(), 4) == 0);
        std::thread([this] { serve(); }).detach();
        std::atexit(remove_files);
    }
    const std::string& path() const { return path_; }
    const std::string& dir() const { return dir_; }
    void set_answer(std::string_view a) {
        std::lock_guard l(mu_);
        answer_ = a;
    }
    ~FakeAgent() = delete;

  private:
    void serve() {
        for (;;) {
            Fd c{::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC)};
            if (!c) continue;
            read_request(c.get());
            std::string answer;
            {
                std::lock_guard l(mu_);
                answer = answer_;
            }
            for (std::string_view left = answer; !left.empty();) {
                ssize_t n = ::send(c.get(), left.data(), left.size(), MSG_NOSIGNAL);
                if (n <= 0) break;  // the plugin stopped reading: it has what it wanted
                left.remove_prefix(static_cast<size_t>(n));
            }
        }
    }
    // Reads the whole request frame, so closing never resets the connection under the plugin.
    static void read_request(int fd) {
        std::string in;
        char buf[4096];
        size_t need = proto::kHeaderSize;
        while (in.size() < need) {
            ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) return;
            in.append(buf, static_cast<size_t>(n));
            if (need == proto::kHeaderSize && in.size() >= need) {
                auto len = proto::decode_header(reinterpret_cast<const uint8_t*>(in.data()),
                                                proto::Kind::request, 1u << 24);
                FUZZ_CHECK(len.has_value());
                need += *len;
            }
        }
    }

    std::string dir_, path_;
    Fd listener_;
    std::mutex mu_;
    std::string answer_;
};

FakeAgent& agent() {
    static FakeAgent* a = new FakeAgent;
    return *a;
}

void remove_files() {
    ::unlink(agent().path().c_str());
    ::rmdir(agent().dir().c_str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view in = fuzz::view(data, size);
    agent().set_answer(in);
    proto::Request req{proto::Op::add, "net1", "c0ffee", "eth0", "/run/netns/p"};
    auto got = proto::call(agent().path(), req, 10000);

    // What the answer should come to, decoded without the socket.
    Result<proto::Response> want = fail(Code::try_again, "closed before answering");
    if (in.size() >= proto::kHeaderSize) {
        auto len = proto::decode_header(data, proto::Kind::response, 16u << 20);
        if (!len)
            want = std::unexpected(len.error());
        else if (in.size() - proto::kHeaderSize >= *len)
            want = proto::decode_response(in.substr(proto::kHeaderSize, *len));
    }
    FUZZ_CHECK(got.has_value() == want.has_value());
    if (got) {
        FUZZ_CHECK(fuzz::same(*got, *want));
    } else {
        FUZZ_CHECK(got.error().code == want.error().code);
        FUZZ_CHECK(!got.error().message.empty());
    }
    return 0;
}
