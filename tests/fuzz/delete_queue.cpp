// A file in the delete queue as the agent lists it at start (proto::list_deletes): its name and
// its bytes are anyone's who could write to the directory. A listed DEL must be one the agent can
// apply, and anything else must come back as an error naming the entry.
//
// Input: u8 name length (0: a well-formed entry name) | name | file contents.
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>

#include "fuzz.hpp"
#include "serve.hpp"
#include "warren/delete_queue.hpp"
#include "warren/fd.hpp"

using namespace warren;

namespace {

// One directory per process, removed at exit (left behind, holding the input, after a crash).
struct QueueDir {
    std::string path;
    QueueDir() {
        const char* tmp = std::getenv("TMPDIR");
        path = std::string(tmp && *tmp ? tmp : "/tmp") + "/warren-fuzz-queue-XXXXXX";
        FUZZ_CHECK(::mkdtemp(path.data()) != nullptr);
    }
    ~QueueDir() { ::rmdir(path.c_str()); }
};

const std::string& queue_dir() {
    static const QueueDir dir;
    return dir.path;
}

bool usable_name(std::string_view n) {
    return !n.empty() && n != "." && n != ".." && n.find('/') == std::string_view::npos &&
           n.find('\0') == std::string_view::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view in = fuzz::view(data, size);
    if (in.empty()) return 0;
    const size_t name_len = static_cast<uint8_t>(in[0]);
    in.remove_prefix(1);
    if (name_len > in.size()) return 0;
    std::string name(in.substr(0, name_len));
    in.remove_prefix(name_len);
    if (name_len == 0) name = "del-01700000000000000000-4242.json";
    if (!usable_name(name)) return 0;

    const std::string path = queue_dir() + "/" + name;
    {
        Fd fd{::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)};
        FUZZ_CHECK(fd.get() >= 0);
        FUZZ_CHECK(::write(fd.get(), in.data(), in.size()) == static_cast<ssize_t>(in.size()));
    }
    auto listed = proto::list_deletes(queue_dir());
    FUZZ_CHECK(::unlink(path.c_str()) == 0);
    FUZZ_CHECK(listed.has_value());

    const bool entry = name.starts_with("del-") && name.ends_with(".json") && name.size() > 9;
    FUZZ_CHECK(listed->size() == (entry ? 1u : 0u));
    if (!entry) return 0;
    auto& q = listed->front();
    FUZZ_CHECK(q.path == path);
    if (!q.request) {
        FUZZ_CHECK(q.request.error().message.find(name) != std::string::npos);
        return 0;
    }
    FUZZ_CHECK(q.request->op == proto::Op::del);
    FUZZ_CHECK(proto::check_request(*q.request).has_value());
    fuzz::serve(std::move(*q.request));
    return 0;
}
