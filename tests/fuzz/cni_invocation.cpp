// One plugin invocation from what the runtime controls: the CNI_* environment (CNI_ARGS
// included) and the network config on stdin, against an agent that answers with an address.
//
// Input: "KEY=VALUE" lines, an empty line, then the config. The request the plugin sends must
// be one the agent accepts, and stdout must be one line of JSON.
#include <map>
#include <string>

#include "fake_host.hpp"
#include "fuzz.hpp"
#include "plugin.hpp"

using namespace warren;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view in = fuzz::view(data, size);
    const size_t split = in.find("\n\n");
    const std::string_view env_text = in.substr(0, split);
    const std::string_view stdin_data = split == std::string_view::npos ? std::string_view{} : in.substr(split + 2);

    std::map<std::string, std::string, std::less<>> env;
    for (size_t pos = 0; pos < env_text.size();) {
        size_t end = env_text.find('\n', pos);
        if (end == std::string_view::npos) end = env_text.size();
        const std::string_view line = env_text.substr(pos, end - pos);
        if (auto eq = line.find('='); eq != std::string_view::npos)
            env[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
        pos = end + 1;
    }
    auto getenv = [&](const char* key) -> const char* {
        auto it = env.find(std::string_view(key));
        if (it == env.end()) return nullptr;
        return it->second.c_str();  // may hold a NUL: C code would see the prefix; so does this
    };

    fuzz::FakeHost host;
    auto outcome = cni::run(getenv, stdin_data, host);
    FUZZ_CHECK(outcome.exit_code == 0 || outcome.exit_code == 1);
    FUZZ_CHECK(host.sent.size() <= 1 && host.queued.empty());
    if (!outcome.out.empty()) {
        FUZZ_CHECK(outcome.out.back() == '\n' && outcome.out.find('\n') == outcome.out.size() - 1);
        auto j = nlohmann::json::parse(outcome.out, nullptr, false);
        FUZZ_CHECK(j.is_object());
        if (outcome.exit_code == 1) FUZZ_CHECK(j["msg"].is_string() && !j["msg"].get<std::string>().empty());
    }
    if (outcome.exit_code == 1) return 0;
    for (auto& req : host.sent) {
        FUZZ_CHECK(proto::check_request(req).has_value());
        // What the plugin sends is what the agent decodes.
        if (fuzz::fits_compact(req)) {
            auto back = proto::decode_binary_request(proto::encode_binary(req));
            FUZZ_CHECK(back.has_value());
            if (!req.ranges || fuzz::finite(*req.ranges)) FUZZ_CHECK(fuzz::same(*back, req));
        }
        // The JSON form is what a DEL queued while the agent is down looks like.
        if (req.op == proto::Op::del) FUZZ_CHECK(proto::decode_request(proto::encode(req)).has_value());
    }
    return 0;
}
