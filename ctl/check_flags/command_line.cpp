#include <algorithm>

#include "check_flags/readers.hpp"

namespace warren::check_flags {

std::vector<Flag> parse_flags(std::span<const Word> words) {
    std::vector<Flag> flags;
    for (size_t i = 0; i < words.size(); ++i) {
        const std::string& w = words[i].text;
        if (!w.starts_with("--") || w.size() == 2) continue;
        Flag f{w, "true", words[i].line};
        if (auto eq = w.find('='); eq != std::string::npos) {
            f.name = w.substr(0, eq);
            f.value = w.substr(eq + 1);
        } else if (i + 1 < words.size() && !words[i + 1].text.starts_with("-")) {
            f.value = words[++i].text;
        }
        flags.push_back(std::move(f));
    }
    return flags;
}

Result<std::vector<Word>> split_command_line(std::string_view line) {
    std::vector<Word> words;
    std::string current;
    bool in_word = false;
    char quote = 0;
    for (size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quote) {
            if (c == quote) {
                quote = 0;
            } else if (c == '\\' && quote == '"' && i + 1 < line.size()) {
                current += line[++i];
            } else {
                current += c;
            }
        } else if (c == '\'' || c == '"') {
            quote = c;
            in_word = true;
        } else if (c == '\\' && i + 1 < line.size()) {
            current += line[++i];
            in_word = true;
        } else if (c == ' ' || c == '\t' || c == '\n') {
            if (in_word) words.push_back({std::move(current), 0});
            current.clear();
            in_word = false;
        } else {
            current += c;
            in_word = true;
        }
    }
    if (quote)
        return fail(Code::invalid_config, std::string("unterminated ") + quote + " quote in '" +
                                              std::string(line) + "'; close the quote");
    if (in_word) words.push_back({std::move(current), 0});
    return words;
}

}  // namespace warren::check_flags
