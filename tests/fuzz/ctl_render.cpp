// warrenctl over an answer of any shape: whatever result object the agent sends (another
// version, a bug), every command either prints it or exits 1 saying the answer is not
// understood; nothing crashes, nothing else is thrown, and import's renderer copes too.
#include <sstream>
#include <string_view>
#include <vector>

#include "commands.hpp"
#include "fuzz.hpp"
#include "run.hpp"

using nlohmann::json;
using namespace warren;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    json result = json::parse(fuzz::view(data, size), nullptr, false);
    if (result.is_discarded() || !result.is_object()) return 0;
    const json answer = {{"ok", true}, {"result", result}};
    const std::vector<std::vector<std::string_view>> commands = {
        {"status"}, {"list"},    {"show", "x"},      {"release", "10.0.0.1"}, {"gc", "--dry-run"},
        {"events"}, {"metrics"}, {"list", "--json"}, {"status", "--json"}};
    for (auto& args : commands) {
        std::ostringstream out, err;
        ctl::Io io{out, err,
                   [&](const std::string&, const json&, int) -> Result<json> { return answer; },
                   [] { return int64_t{1'796'068'800'000'000'000}; }};
        const int code = ctl::run(args, io);
        FUZZ_CHECK(code == 0 || code == 1);
        FUZZ_CHECK(code == 0 ? err.str().empty() : !err.str().empty());
        FUZZ_CHECK(code != 0 || out.str().empty() || out.str().back() == '\n');
    }
    try {
        std::string text = ctl::render_import(result, 0);
        FUZZ_CHECK(text.empty() || text.back() == '\n');
    } catch (const json::exception&) {
    }
    return 0;
}
