// The agent's answer as the plugin reads it: the response frame's header and JSON payload
// (what proto::call does after its exchange), then the plugin's ADD and CHECK turning it into
// the CNI result on stdout, which must always be one line of JSON.
#include <array>
#include <string>

#include "fake_host.hpp"
#include "fuzz.hpp"
#include "plugin.hpp"
#include "version.hpp"

using namespace warren;

namespace {

// What proto::call accepts as an answer.
constexpr uint32_t kClientCap = 16 * 1024 * 1024;

std::string config(std::string_view version) {
    return R"({"cniVersion":")" + std::string(version) +
           R"(","name":"net","type":"bridge","ipam":{"type":"warren","resolvConf":"/etc/resolv.conf",)"
           R"("routes":[{"dst":"0.0.0.0/0"},{"dst":"fd00::/8","gw":"fd00:1::1","mtu":1400}]},)"
           R"("prevResult":{"cniVersion":")" + std::string(version) +
           R"(","ips":[{"address":"10.1.0.5/24","gateway":"10.1.0.1"}]}})";
}

void run(cni::Command command, std::string_view version, const proto::Response& answer) {
    fuzz::FakeHost host;
    host.answer = answer;
    const std::string stdin_data = config(version);
    const std::string name(cni::command_name(command));
    auto getenv = [&](const char* key) -> const char* {
        const std::string_view k(key);
        if (k == "CNI_COMMAND") return name.c_str();
        if (k == "CNI_CONTAINERID") return "c0ffee";
        if (k == "CNI_NETNS") return "/run/netns/fuzz";
        if (k == "CNI_IFNAME") return "eth0";
        if (k == "CNI_PATH") return "/opt/cni/bin";
        return nullptr;
    };
    auto outcome = cni::run(getenv, stdin_data, host);
    FUZZ_CHECK(host.sent.size() <= 1);
    FUZZ_CHECK(!outcome.out.empty() || (outcome.exit_code == 0 && command != cni::Command::add));
    if (outcome.out.empty()) return;
    FUZZ_CHECK(outcome.out.back() == '\n');
    FUZZ_CHECK(outcome.out.find('\n') == outcome.out.size() - 1);
    auto j = nlohmann::json::parse(outcome.out, nullptr, false);
    FUZZ_CHECK(j.is_object());
    if (outcome.exit_code == 0) {
        FUZZ_CHECK(answer.ok && command == cni::Command::add);
        FUZZ_CHECK(j["ips"].size() == answer.ips.size());
    } else {
        FUZZ_CHECK(outcome.exit_code == 1);
        FUZZ_CHECK(j["code"].is_number_integer() && j["code"].get<int64_t>() > 0);
        FUZZ_CHECK(j["msg"].is_string() && !j["msg"].get<std::string>().empty());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < proto::kHeaderSize) return 0;
    auto len = proto::decode_header(data, proto::Kind::response, kClientCap);
    if (!len) return 0;
    const std::string_view rest = fuzz::view(data + proto::kHeaderSize, size - proto::kHeaderSize);
    if (rest.size() < *len) return 0;  // proto::call waits for the rest
    auto resp = proto::decode_response(rest.substr(0, *len));
    if (!resp) {
        FUZZ_CHECK(!resp.error().message.empty());
        return 0;
    }
    // The agent encodes it back the same way (its encoder is hand-written).
    auto again = proto::decode_response(proto::encode(*resp));
    FUZZ_CHECK(again.has_value());
    if (fuzz::utf8(resp->msg) && fuzz::utf8(resp->details)) FUZZ_CHECK(fuzz::same(*again, *resp));

    const std::string_view version = cni::kSupportedVersions[size % cni::kSupportedVersions.size()];
    run(cni::Command::add, version, *resp);
    run(cni::Command::check, version, *resp);
    run(cni::Command::del, version, *resp);
    return 0;
}
