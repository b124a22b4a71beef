// tagwire: the command-line front end to the tagging engine (in-process, no
// server needed).
//
//   tagwire tag [--taxonomy FILE]... [options] [FILE...]
//       Tags each FILE and prints one TaggedArticle per line in the proto3 JSON
//       mapping. A .json/.jsonl FILE (or stdin when no FILE is given) holds one
//       article per line: {"id","source","version","title","body","language",
//       "published_time","metadata"}; any other FILE is plain text whose first
//       line is the title.
//       --explain adds the resolution trace; --naive tags without context
//       resolution or guards (the measured baseline).
//   tagwire check-taxonomy [--taxonomy FILE]... [FILE...]
//       Validates taxonomy files and reports hygiene warnings: aliases shared by
//       several concepts, aliases that are common English words.
//   tagwire compile [--taxonomy FILE]... [--cache-dir DIR]
//       Compiles the taxonomy and writes the compiled cache.
//
// Exit codes: 0 ok, 2 bad input (usage, taxonomy, or any article rejected),
// 1 internal error.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/compiled_cache.h"
#include "core/files.h"
#include "core/compiled_taxonomy.h"
#include "core/fold.h"
#include "core/status_macros.h"
#include "core/strings.h"
#include "core/tagger.h"
#include "core/taxonomy.h"
#include "core/unicode.h"
#include "service/defaults.h"
#include "service/proto_convert.h"
#include "absl/strings/numbers.h"
#include "google/protobuf/util/time_util.h"
#include "simdjson.h"

#ifndef TAGWIRE_DEFAULT_TAXONOMY
#define TAGWIRE_DEFAULT_TAXONOMY "data/default.jsonl.gz"
#endif

namespace tagwire {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitInternal = 1;
constexpr int kExitBadInput = 2;

constexpr char kUsage[] = R"(usage:
  tagwire tag [--taxonomy FILE]... [--cache-dir DIR] [--explain] [--kinds K,K]
              [--min-score X] [--overlap leftmost-longest|all|no-subsumed]
              [--offsets code-points,utf16] [--no-mentions] [--naive] [FILE...]
  tagwire check-taxonomy [--taxonomy FILE]... [FILE...]
  tagwire compile [--taxonomy FILE]... [--cache-dir DIR]

Without --taxonomy the default taxonomy is used (or $TAGWIRE_TAXONOMY).
--naive turns off resolution by context and the ordinary-word guards (the
baseline that bench/eval.py measures against).
--cache-dir defaults to $XDG_CACHE_HOME/tagwire or ~/.cache/tagwire; '' disables.
Exit codes: 0 ok, 2 bad input, 1 internal error.
)";

struct CommandLine {
  std::string command;
  std::vector<std::string> taxonomy_files;
  std::optional<std::string> cache_dir;
  std::vector<std::string> inputs;
  TagOptions options;
};

absl::Status ParseKinds(std::string_view list, uint32_t* mask) {
  if (list.empty()) return absl::InvalidArgumentError("--kinds needs at least one kind");
  *mask = 0;
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string_view name = list.substr(0, comma);
    const auto kind = ParseConceptKind(name);
    if (!kind) return absl::InvalidArgumentError(StrCat("unknown kind '", name, "'"));
    *mask |= KindBit(*kind);
    list.remove_prefix(comma == std::string_view::npos ? list.size() : comma + 1);
  }
  return absl::OkStatus();
}

absl::StatusOr<CommandLine> ParseCommandLine(int argc, char** argv) {
  if (argc < 2) return absl::InvalidArgumentError("missing command");
  CommandLine line;
  line.command = argv[1];
  if (line.command != "tag" && line.command != "check-taxonomy" && line.command != "compile") {
    return absl::InvalidArgumentError(StrCat("unknown command '", line.command, "'"));
  }
  for (int i = 2; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string value;
    auto take_value = [&](std::string_view flag) -> absl::Status {
      const size_t equals = arg.find('=');
      if (equals != std::string_view::npos) {
        value = std::string(arg.substr(equals + 1));
        arg = arg.substr(0, equals);
        return absl::OkStatus();
      }
      if (i + 1 >= argc) return absl::InvalidArgumentError(StrCat(flag, " needs a value"));
      value = argv[++i];
      return absl::OkStatus();
    };
    auto flag_is = [&](std::string_view flag) {
      return arg == flag || (arg.size() > flag.size() && arg.substr(0, flag.size() + 1) ==
                                                             StrCat(flag, "="));
    };
    if (flag_is("--taxonomy")) {
      RETURN_IF_ERROR(take_value("--taxonomy"));
      line.taxonomy_files.push_back(value);
    } else if (flag_is("--cache-dir")) {
      RETURN_IF_ERROR(take_value("--cache-dir"));
      line.cache_dir = value;
    } else if (flag_is("--kinds")) {
      RETURN_IF_ERROR(take_value("--kinds"));
      RETURN_IF_ERROR(ParseKinds(value, &line.options.kind_mask));
    } else if (flag_is("--min-score")) {
      RETURN_IF_ERROR(take_value("--min-score"));
      char* end = nullptr;
      line.options.min_score = std::strtod(value.c_str(), &end);
      if (end == value.c_str() || *end != '\0' || !(line.options.min_score >= 0) ||
          line.options.min_score > 1) {
        return absl::InvalidArgumentError(StrCat("--min-score '", value, "' is not in [0, 1]"));
      }
    } else if (flag_is("--overlap")) {
      RETURN_IF_ERROR(take_value("--overlap"));
      if (value == "leftmost-longest") {
        line.options.overlap = OverlapPolicy::kLeftmostLongest;
      } else if (value == "all") {
        line.options.overlap = OverlapPolicy::kAll;
      } else if (value == "no-subsumed") {
        line.options.overlap = OverlapPolicy::kNoSubsumed;
      } else {
        return absl::InvalidArgumentError(StrCat("unknown --overlap '", value, "'"));
      }
    } else if (flag_is("--offsets")) {
      RETURN_IF_ERROR(take_value("--offsets"));
      for (std::string_view unit : {std::string_view("code-points"), std::string_view("utf16")}) {
        if (value.find(unit) != std::string::npos) {
          (unit == "utf16" ? line.options.utf16_offsets : line.options.code_point_offsets) = true;
        }
      }
      if (!line.options.utf16_offsets && !line.options.code_point_offsets) {
        return absl::InvalidArgumentError(StrCat("unknown --offsets '", value, "'"));
      }
    } else if (arg == "--explain") {
      line.options.explain = true;
    } else if (arg == "--no-mentions") {
      line.options.include_mentions = false;
    } else if (arg == "--naive") {
      line.options.resolve = false;
    } else if (arg == "--help" || arg == "-h") {
      return absl::InvalidArgumentError("help");
    } else if (arg.size() > 1 && arg[0] == '-') {
      return absl::InvalidArgumentError(StrCat("unknown flag '", arg, "'"));
    } else {
      line.inputs.emplace_back(arg);
    }
  }
  if (line.command == "check-taxonomy") {
    // Positional files are taxonomy layers too.
    for (std::string& input : line.inputs) line.taxonomy_files.push_back(std::move(input));
    line.inputs.clear();
  }
  if (line.taxonomy_files.empty()) {
    line.taxonomy_files = DefaultTaxonomyFiles();
  }
  return line;
}

// Exit code for a failed status: 2 for problems with the input, 1 otherwise.
int ExitCodeFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kFailedPrecondition:
      return kExitBadInput;
    default:
      return kExitInternal;
  }
}

absl::StatusOr<std::shared_ptr<const CompiledTaxonomy>> LoadAndCompile(const CommandLine& line,
                                                                      bool verbose) {
  CompileOptions options;
  options.cache_dir = line.cache_dir.value_or(DefaultCacheDir());
  ASSIGN_OR_RETURN(auto compiled, LoadAndCompileTaxonomy(line.taxonomy_files, options));
  if (verbose) std::cerr << "tagwire: " << compiled->cache_status() << "\n";
  return compiled;
}

// --- tag -------------------------------------------------------------------

// Parses one JSON article line into `article`.
absl::Status ParseArticleJson(simdjson::dom::parser& parser, std::string_view text,
                              v1::Article* article) {
  simdjson::dom::element doc;
  if (auto error = parser.parse(text.data(), text.size()).get(doc); error) {
    return absl::InvalidArgumentError(StrCat("invalid JSON: ", simdjson::error_message(error)));
  }
  simdjson::dom::object obj;
  if (doc.get_object().get(obj)) {
    return absl::InvalidArgumentError("an article line must be a JSON object");
  }
  for (auto field : obj) {
    const std::string_view key = field.key;
    std::string_view value;
    if (key == "version") {
      // An integer, or a string as the proto3 JSON mapping prints int64.
      int64_t version;
      std::string_view digits;
      if (!field.value.get_int64().get(version)) {
        article->set_version(version);
      } else if (!field.value.get_string().get(digits) && !digits.empty() &&
                 absl::SimpleAtoi(absl::string_view(digits.data(), digits.size()), &version)) {
        article->set_version(version);
      } else {
        return absl::InvalidArgumentError("'version' must be an integer");
      }
      continue;
    }
    if (key == "published_time" || key == "publishedTime") {
      std::string_view time;
      if (field.value.get_string().get(time) ||
          !google::protobuf::util::TimeUtil::FromString(std::string(time),
                                                        article->mutable_published_time())) {
        return absl::InvalidArgumentError(
            StrCat("'", key, "' must be an RFC 3339 time such as \"2026-11-23T15:00:00Z\""));
      }
      continue;
    }
    if (key == "metadata") {
      simdjson::dom::object metadata;
      if (field.value.get_object().get(metadata)) {
        return absl::InvalidArgumentError("'metadata' must be an object of strings");
      }
      for (auto entry : metadata) {
        if (entry.value.get_string().get(value)) {
          return absl::InvalidArgumentError("'metadata' must be an object of strings");
        }
        (*article->mutable_metadata())[std::string(entry.key)] = std::string(value);
      }
      continue;
    }
    if (field.value.get_string().get(value)) {
      return absl::InvalidArgumentError(StrCat("'", key, "' must be a string"));
    }
    if (key == "id") {
      article->set_id(std::string(value));
    } else if (key == "source") {
      article->set_source(std::string(value));
    } else if (key == "title") {
      article->set_title(std::string(value));
    } else if (key == "body") {
      article->set_body(std::string(value));
    } else if (key == "language") {
      article->set_language(std::string(value));
    } else {
      return absl::InvalidArgumentError(StrCat("unknown article field '", key, "'"));
    }
  }
  return absl::OkStatus();
}

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// Returns `text` with each invalid UTF-8 byte replaced by '?' (file names
// become article ids, which are proto strings).
std::string ValidUtf8OrReplaced(std::string text) {
  for (size_t bad = FindInvalidUtf8(text); bad < text.size(); bad = FindInvalidUtf8(text)) {
    text[bad] = '?';
  }
  return text;
}

class TagCommand {
 public:
  TagCommand(std::shared_ptr<const CompiledTaxonomy> taxonomy, TagOptions options)
      : taxonomy_(std::move(taxonomy)), options_(options) {}

  // Tags one article; prints its JSON or reports its error with `where`.
  void TagOne(const v1::Article& article, std::string_view where) {
    absl::StatusOr<TagResult> result =
        tagger_.Tag(taxonomy_, ArticleTextFromProto(article), options_);
    if (!result.ok()) {
      Report(where, result.status());
      return;
    }
    v1::TaggedArticle tagged;
    TaggedArticleToProto(article, *result, &tagged);
    absl::StatusOr<std::string> json = ToJson(tagged);
    if (!json.ok()) {
      Report(where, json.status());
      return;
    }
    std::cout << *json << "\n";
  }

  // Tags each JSON line of `contents`; `name` is used in messages.
  void TagJsonLines(std::string_view contents, std::string_view name) {
    if (contents.substr(0, 3) == "\xEF\xBB\xBF") contents.remove_prefix(3);  // UTF-8 BOM
    int line_number = 0;
    while (!contents.empty()) {
      ++line_number;
      const size_t newline = contents.find('\n');
      std::string_view text = contents.substr(0, newline);
      contents.remove_prefix(newline == std::string_view::npos ? contents.size() : newline + 1);
      if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
      if (StripWhitespace(text).empty()) continue;
      const std::string where = StrCat(name, ":", line_number);
      v1::Article article;
      if (absl::Status parsed = ParseArticleJson(parser_, text, &article); !parsed.ok()) {
        Report(where, parsed);
        continue;
      }
      if (article.id().empty()) article.set_id(StrCat(line_number));
      TagOne(article, where);
    }
  }

  void TagFile(const std::string& path) {
    absl::StatusOr<std::string> contents = ReadFileBytes(path);
    if (!contents.ok()) {
      Report("tagwire", contents.status());  // the message names the path
      return;
    }
    const bool json = EndsWith(path, ".json") || EndsWith(path, ".jsonl");
    if (json) {
      TagJsonLines(*contents, path);
      return;
    }
    v1::Article article;
    ArticleFromPlainText(*contents, &article);
    const size_t slash = path.rfind('/');
    article.set_id(ValidUtf8OrReplaced(slash == std::string::npos ? path : path.substr(slash + 1)));
    article.set_source("file");
    // An edited file is a new version of its article, so tagging it again on
    // a server is not a CONFLICT with the old content.
    struct stat status;
    if (stat(path.c_str(), &status) == 0) article.set_version(status.st_mtime);
    TagOne(article, path);
  }

  int exit_code() const { return exit_code_; }

 private:
  void Report(std::string_view where, const absl::Status& status) {
    const std::string reason = ArticleErrorReason(status);
    std::cerr << where << ": " << (reason.empty() ? "" : reason + ": ") << status.message()
              << "\n";
    if (exit_code_ != kExitInternal) exit_code_ = ExitCodeFor(status);  // internal wins
  }

  std::shared_ptr<const CompiledTaxonomy> taxonomy_;
  TagOptions options_;
  Tagger tagger_;
  simdjson::dom::parser parser_;
  int exit_code_ = kExitOk;
};

int RunTag(const CommandLine& line) {
  auto taxonomy = LoadAndCompile(line, /*verbose=*/false);
  if (!taxonomy.ok()) {
    std::cerr << "tagwire: " << taxonomy.status().message() << "\n";
    return ExitCodeFor(taxonomy.status());
  }
  TagCommand command(*taxonomy, line.options);
  if (line.inputs.empty()) {
    std::ostringstream input;
    input << std::cin.rdbuf();
    command.TagJsonLines(input.str(), "<stdin>");
  } else {
    for (const std::string& path : line.inputs) command.TagFile(path);
  }
  std::cout.flush();
  return command.exit_code();
}

// --- check-taxonomy ----------------------------------------------------------

constexpr char kDictionary[] = "/usr/share/dict/words";

// Lower-case entries of the system dictionary: ordinary English words.
std::set<std::string> LoadCommonWords() {
  std::set<std::string> words;
  std::ifstream in(kDictionary);
  std::string word;
  while (std::getline(in, word)) {
    if (word.size() < 2) continue;
    bool lower = true;
    for (char c : word) lower &= (c >= 'a' && c <= 'z');
    if (lower) words.insert(word);
  }
  return words;
}

int RunCheckTaxonomy(const CommandLine& line) {
  // Compiling checks regexes with Hyperscan (no cache: this is a check).
  absl::StatusOr<std::shared_ptr<const CompiledTaxonomy>> compiled =
      LoadAndCompileTaxonomy(line.taxonomy_files);
  if (!compiled.ok()) {
    std::cerr << compiled.status().message() << "\n";
    return ExitCodeFor(compiled.status());
  }
  const Taxonomy* checked = &(*compiled)->taxonomy();
  const std::set<std::string> common_words = LoadCommonWords();
  std::map<std::string, std::vector<const Concept*>> by_alias;
  int kinds[kConceptKindCount] = {};
  size_t aliases = 0, rules = 0, warnings = 0;
  for (const Concept& c : checked->concepts()) {
    ++kinds[static_cast<int>(c.kind)];
    rules += c.rules.size();
    for (const Alias& alias : c.aliases) {
      ++aliases;
      const std::string folded = FoldText(alias.text);
      auto& owners = by_alias[folded];
      if (owners.empty() || owners.back() != &c) owners.push_back(&c);
      if (common_words.count(folded) > 0) {
        ++warnings;
        std::cout << checked->Describe(c.location) << ": warning: alias \"" << alias.text
                  << "\" of " << c.id << " is also the common word \"" << folded << "\" ("
                  << (alias.case_policy == CasePolicy::kCaseless
                          ? "caseless: it will match the ordinary word"
                          : StrCat("case policy ", CasePolicyName(alias.case_policy),
                                   ": matches only when capitalized"))
                  << ")\n";
      }
    }
  }
  for (const auto& [folded, owners] : by_alias) {
    if (owners.size() < 2) continue;
    ++warnings;
    std::cout << checked->Describe(owners.front()->location) << ": warning: alias \"" << folded
              << "\" is shared by " << owners.size() << " concepts:";
    for (const Concept* c : owners) std::cout << " " << c->id;
    std::cout << "\n";
  }
  if (common_words.empty()) {
    std::cout << "note: " << kDictionary
              << " not found (install wamerican); common-word check skipped\n";
  }
  std::cout << "ok: " << checked->concepts().size() << " concepts (";
  for (int k = 0; k < kConceptKindCount; ++k) {
    std::cout << (k ? ", " : "") << ConceptKindName(static_cast<ConceptKind>(k)) << " "
              << kinds[k];
  }
  std::cout << "), " << aliases << " aliases, " << rules << " rules, " << warnings
            << " warnings; version " << checked->version() << "\n";
  return kExitOk;
}

// --- compile -----------------------------------------------------------------

int RunCompile(const CommandLine& line) {
  if (line.cache_dir && line.cache_dir->empty()) {
    std::cerr << "tagwire: compile writes the compiled cache; --cache-dir must not be empty\n";
    return kExitBadInput;
  }
  auto compiled = LoadAndCompile(line, /*verbose=*/false);
  if (!compiled.ok()) {
    std::cerr << "tagwire: " << compiled.status().message() << "\n";
    return ExitCodeFor(compiled.status());
  }
  const CompiledTaxonomy& c = **compiled;
  std::cout << "version " << c.version() << ": " << c.taxonomy().concepts().size()
            << " concepts, " << c.literal_count() << " literals, " << c.regex_count()
            << " regexes, " << c.database_bytes() << " database bytes; " << c.cache_status()
            << "\n";
  if (!c.loaded_from_cache() && !c.cache_written()) {
    std::cerr << "tagwire: the compiled cache was not written\n";
    return kExitInternal;
  }
  return kExitOk;
}

}  // namespace
}  // namespace tagwire

int main(int argc, char** argv) {
  absl::StatusOr<tagwire::CommandLine> line = tagwire::ParseCommandLine(argc, argv);
  if (!line.ok()) {
    if (line.status().message() != "help") {
      std::cerr << "tagwire: " << line.status().message() << "\n";
    }
    std::cerr << tagwire::kUsage;
    return line.status().message() == "help" ? tagwire::kExitOk : tagwire::kExitBadInput;
  }
  if (line->command == "tag") return tagwire::RunTag(*line);
  if (line->command == "check-taxonomy") return tagwire::RunCheckTaxonomy(*line);
  return tagwire::RunCompile(*line);
}
