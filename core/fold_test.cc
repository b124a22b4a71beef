#include "core/fold.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <utf8proc.h>

#include <cctype>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/unicode.h"

namespace tagwire {
namespace {

using ::testing::ElementsAreArray;

// --- FoldText ----------------------------------------------------------------

TEST(FoldTextTest, CaseAndDiacriticsFoldTogether) {
  EXPECT_EQ(FoldText("Zürich"), "zurich");
  EXPECT_EQ(FoldText("ZURICH"), "zurich");
  EXPECT_EQ(FoldText("zurich"), "zurich");
  EXPECT_EQ(FoldText("ZÜRICH"), "zurich");
  // Decomposed input (u + COMBINING DIAERESIS) folds like precomposed ü.
  EXPECT_EQ(FoldText("Zu\xCC\x88rich"), "zurich");
  EXPECT_EQ(FoldText("São Paulo"), "sao paulo");
  EXPECT_EQ(FoldText("Malmö"), "malmo");
}

TEST(FoldTextTest, ControlCharactersFoldToThemselves) {
  // These once looped for ever (fuzz_tag_article): a control character that
  // is not whitespace stopped the ASCII fast path without being consumed.
  EXPECT_EQ(FoldText(std::string_view("\0\0", 2)), std::string_view("\0\0", 2));
  EXPECT_EQ(FoldText("A\x01B\x1b[0mC\x7f"), "a\x01b\x1b[0mc\x7f");
  EXPECT_EQ(FoldText("New\x07York  Times\n"), "new\x07york times ");
}

TEST(FoldTextTest, SharpSExpands) {
  EXPECT_EQ(FoldText("Straße"), "strasse");
  EXPECT_EQ(FoldText("STRASSE"), "strasse");
  EXPECT_EQ(FoldText("Straße"), FoldText("Strasse"));
}

TEST(FoldTextTest, GreekSigmaFormsFoldEqual) {
  EXPECT_EQ(FoldText("Σ"), FoldText("σ"));
  EXPECT_EQ(FoldText("ς"), FoldText("σ"));  // final sigma
  EXPECT_EQ(FoldText("ΟΔΥΣΣΕΥΣ"), FoldText("Οδυσσευς"));
  // Greek accents are diacritics too.
  EXPECT_EQ(FoldText("Αθήνα"), FoldText("ΑΘΗΝΑ"));
  EXPECT_EQ(FoldText("Αθήνα"), "αθηνα");
}

TEST(FoldTextTest, TurkishDottedCapitalI) {
  EXPECT_EQ(FoldText("İstanbul"), "istanbul");
  EXPECT_EQ(FoldText("İSTANBUL"), FoldText("istanbul"));
}

TEST(FoldTextTest, CyrillicCase) {
  EXPECT_EQ(FoldText("КИЇВ"), FoldText("Київ"));
  EXPECT_EQ(FoldText("МОСКВА"), "москва");
}

TEST(FoldTextTest, FullWidthAndCompatibilityForms) {
  EXPECT_EQ(FoldText("ＮＡＴＯ"), "nato");
  EXPECT_EQ(FoldText("ｎａｔｏ"), "nato");
  EXPECT_EQ(FoldText("Ｇ２０"), "g20");
  EXPECT_EQ(FoldText("\xEF\xAC\x81nance"), "finance");  // "ﬁ" ligature
}

TEST(FoldTextTest, IgnorablesAndPunctuationVariants) {
  // Soft hyphen (U+00AD) and zero-width joiner vanish.
  EXPECT_EQ(FoldText("Pa\xC2\xADris"), "paris");
  EXPECT_EQ(FoldText("Pa\xE2\x80\x8Dris"), "paris");
  // The typographic apostrophe equals the ASCII one.
  EXPECT_EQ(FoldText("O’Brien"), FoldText("O'Brien"));
  EXPECT_EQ(FoldText("O’Brien"), "o'brien");
  // Typographic dashes equal the ASCII hyphen.
  EXPECT_EQ(FoldText("Saint\xE2\x80\x90" "Denis"), "saint-denis");
}

TEST(FoldTextTest, AsciiIsLowercasedOnly) {
  const std::string ascii = "Hello, World! 123 [x] ~{}|\\^_`@#$%&*()";
  std::string lower = ascii;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_EQ(FoldText(ascii), lower);
  EXPECT_EQ(FoldText(""), "");
}

TEST(FoldTextTest, UnspacedScriptsAreUnchanged) {
  EXPECT_EQ(FoldText("東京"), "東京");
  EXPECT_EQ(FoldText("ひらかな"), "ひらかな");
  // Note: the voicing mark is a combining mark, so "が" folds like "か".
  EXPECT_EQ(FoldText("が"), "か");
}

// Folding each code point alone must equal utf8proc's own mapping with the
// options fold.h documents (case fold, compatibility decomposition, marks and
// ignorables stripped, punctuation lumped): the fast two-byte table and the
// slow path may not drift from the reference.
TEST(FoldTextTest, EveryCodePointMatchesUtf8procReference) {
  constexpr auto kOptions = static_cast<utf8proc_option_t>(
      UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK |
      UTF8PROC_IGNORE | UTF8PROC_LUMP);
  int checked = 0;
  for (char32_t c = 0x80; c < 0x30000; ++c) {
    if (c >= 0xD800 && c <= 0xDFFF) continue;
    utf8proc_uint8_t encoded[4];
    const utf8proc_ssize_t n = utf8proc_encode_char(static_cast<utf8proc_int32_t>(c), encoded);
    const std::string text(reinterpret_cast<const char*>(encoded), n);
    utf8proc_uint8_t* mapped = nullptr;
    const utf8proc_ssize_t mapped_length =
        utf8proc_map(encoded, n, &mapped, kOptions);
    if (mapped_length < 0) continue;  // unassigned in utf8proc's tables
    const std::string reference(reinterpret_cast<const char*>(mapped), mapped_length);
    std::free(mapped);
    ASSERT_EQ(FoldText(text), reference) << "U+" << std::hex << static_cast<uint32_t>(c);
    ++checked;
  }
  EXPECT_GT(checked, 100000);
}

// --- DecomposeKeepingCase ----------------------------------------------------

TEST(DecomposeKeepingCaseTest, StripsDiacriticsButKeepsCase) {
  std::vector<char32_t> out;
  DecomposeKeepingCase("Zürich", &out);
  EXPECT_THAT(out, ElementsAreArray(std::u32string(U"Zurich")));

  out.clear();
  DecomposeKeepingCase("ＮＡＴＯ", &out);
  EXPECT_THAT(out, ElementsAreArray(std::u32string(U"NATO")));

  out.clear();
  DecomposeKeepingCase("КИЇВ", &out);
  EXPECT_THAT(out, ElementsAreArray(std::u32string(U"КИІВ")));  // Ї is І + diaeresis
}

TEST(DecomposeKeepingCaseTest, Appends) {
  std::vector<char32_t> out = {U'x'};
  DecomposeKeepingCase("Ab", &out);
  EXPECT_THAT(out, ElementsAreArray(std::u32string(U"xAb")));
}

// --- FoldedView --------------------------------------------------------------

TEST(FoldedViewTest, AsciiFastPathIsIdentity) {
  FoldedView view;
  const std::string text = "The G20 met in PARIS.";
  view.Reset(text);
  EXPECT_EQ(view.folded(), "the g20 met in paris.");
  EXPECT_EQ(view.original(), text);
  for (size_t start = 0; start < text.size(); ++start) {
    for (size_t end = start + 1; end <= text.size(); ++end) {
      size_t original_start = 99, original_end = 99;
      ASSERT_TRUE(view.MapToOriginal(start, end, &original_start, &original_end));
      EXPECT_EQ(original_start, start);
      EXPECT_EQ(original_end, end);
    }
  }
}

// Finds `folded_word` in the view's folded text (occurrence `nth`, 0-based),
// maps it back and returns the original slice, or "<unmapped>".
std::string OriginalOf(const FoldedView& view, std::string_view folded_word, int nth = 0) {
  size_t at = view.folded().find(folded_word);
  for (int i = 0; i < nth && at != std::string_view::npos; ++i) {
    at = view.folded().find(folded_word, at + 1);
  }
  if (at == std::string_view::npos) return "<not found>";
  size_t start = 0, end = 0;
  if (!view.MapToOriginal(at, at + folded_word.size(), &start, &end)) return "<unmapped>";
  if (start > end || end > view.original().size()) return "<out of range>";
  return std::string(view.original().substr(start, end - start));
}

TEST(FoldedViewTest, MapsMatchesBackToExactOriginalBytes) {
  const std::string text =
      "Grüße aus ZÜRICH: Straße, Київ і КИЇВ, Αθήνα, İstanbul, ＮＡＴＯ, "
      "O’Brien, Pa\xC2\xADris, Zu\xCC\x88rich, 東京2020 \xF0\x9F\x98\x80 end";
  FoldedView view;
  view.Reset(text);
  EXPECT_EQ(OriginalOf(view, "grusse"), "Grüße");
  EXPECT_EQ(OriginalOf(view, "aus"), "aus");
  EXPECT_EQ(OriginalOf(view, "zurich"), "ZÜRICH");
  EXPECT_EQ(OriginalOf(view, "strasse"), "Straße");
  EXPECT_EQ(OriginalOf(view, FoldText("Київ")), "Київ");
  EXPECT_EQ(OriginalOf(view, FoldText("Київ"), 1), "КИЇВ");
  EXPECT_EQ(OriginalOf(view, "αθηνα"), "Αθήνα");
  EXPECT_EQ(OriginalOf(view, "istanbul"), "İstanbul");
  EXPECT_EQ(OriginalOf(view, "nato"), "ＮＡＴＯ");
  EXPECT_EQ(OriginalOf(view, "o'brien"), "O’Brien");
  EXPECT_EQ(OriginalOf(view, "paris"), "Pa\xC2\xADris");
  EXPECT_EQ(OriginalOf(view, "zurich", 1), "Zu\xCC\x88rich");
  EXPECT_EQ(OriginalOf(view, "東京"), "東京");
  EXPECT_EQ(OriginalOf(view, "2020"), "2020");
  EXPECT_EQ(OriginalOf(view, "end"), "end");
  // A single folded letter maps to the one original character it came from.
  EXPECT_EQ(OriginalOf(view, "α"), "Α");
}

TEST(FoldedViewTest, EveryMappedRangeIsValidUtf8OfTheOriginal) {
  const std::string text = "ÄÖÜ ß Ǆ ﬁ İ Київ 東京 \xF0\x9F\x98\x80 Ｇ２０";
  FoldedView view;
  view.Reset(text);
  const std::string_view folded = view.folded();
  int mapped = 0;
  for (size_t start = 0; start < folded.size(); ++start) {
    for (size_t end = start + 1; end <= folded.size(); ++end) {
      size_t original_start = 0, original_end = 0;
      if (!view.MapToOriginal(start, end, &original_start, &original_end)) continue;
      ++mapped;
      ASSERT_LE(original_start, original_end);
      ASSERT_LE(original_end, text.size());
      const std::string_view slice =
          std::string_view(text).substr(original_start, original_end - original_start);
      // The slice starts and ends on character boundaries…
      EXPECT_TRUE(IsValidUtf8(slice)) << start << "," << end;
      // …and folds to exactly the folded range.
      EXPECT_EQ(FoldText(slice), folded.substr(start, end - start)) << start << "," << end;
    }
  }
  EXPECT_GT(mapped, 100);
}

TEST(FoldedViewTest, RejectsMappingIntoTheMiddleOfAnExpansion) {
  const std::string text = "Straße";
  FoldedView view;
  view.Reset(text);
  ASSERT_EQ(view.folded(), "strasse");
  size_t start = 0, end = 0;
  // "stras" ends between the two s that ß became.
  EXPECT_FALSE(view.MapToOriginal(0, 5, &start, &end));
  // "se" starts between them.
  EXPECT_FALSE(view.MapToOriginal(5, 7, &start, &end));
  EXPECT_FALSE(view.MapToOriginal(5, 6, &start, &end));
  // "ss" is exactly the ß.
  ASSERT_TRUE(view.MapToOriginal(4, 6, &start, &end));
  EXPECT_EQ(text.substr(start, end - start), "ß");
  // "strass" ends right after it.
  ASSERT_TRUE(view.MapToOriginal(0, 6, &start, &end));
  EXPECT_EQ(text.substr(start, end - start), "Straß");
  ASSERT_TRUE(view.MapToOriginal(0, 7, &start, &end));
  EXPECT_EQ(text.substr(start, end - start), "Straße");
}

TEST(FoldedViewTest, CombiningMarksBelongToTheCharacterBeforeThem) {
  // "Cafe\u0301 Zu\u0308rich": accents written as separate combining marks.
  const std::string text = "Cafe\xCC\x81 Zu\xCC\x88rich";
  FoldedView view;
  view.Reset(text);
  ASSERT_EQ(view.folded(), "cafe zurich");
  size_t start = 0, end = 0;
  // "cafe" ends after its accent, so the whole "Café" is the match.
  ASSERT_TRUE(view.MapToOriginal(0, 4, &start, &end));
  EXPECT_EQ(text.substr(start, end - start), "Cafe\xCC\x81");
  EXPECT_TRUE(IsWholeWord(text, start, end));
  ASSERT_TRUE(view.MapToOriginal(5, 11, &start, &end));
  EXPECT_EQ(text.substr(start, end - start), "Zu\xCC\x88rich");
  // "zu" ends before the umlaut's mark… which maps past the mark, so the
  // boundary check sees "r" and rejects it as part of a longer word.
  ASSERT_TRUE(view.MapToOriginal(5, 7, &start, &end));
  EXPECT_FALSE(IsWholeWord(text, start, end));
}

TEST(FoldedViewTest, ResetReusesTheViewAcrossTexts) {
  FoldedView view;
  view.Reset("Straße in Zürich");
  EXPECT_EQ(view.folded(), "strasse in zurich");
  // ASCII after non-ASCII: identity mapping again.
  view.Reset("ABC def");
  EXPECT_EQ(view.folded(), "abc def");
  size_t start = 0, end = 0;
  ASSERT_TRUE(view.MapToOriginal(4, 7, &start, &end));
  EXPECT_EQ(start, 4u);
  EXPECT_EQ(end, 7u);
  // Non-ASCII again, shorter than before: no stale bytes.
  view.Reset("Ü");
  EXPECT_EQ(view.folded(), "u");
  ASSERT_TRUE(view.MapToOriginal(0, 1, &start, &end));
  EXPECT_EQ(start, 0u);
  EXPECT_EQ(end, 2u);
  view.Reset("");
  EXPECT_EQ(view.folded(), "");
}

TEST(FoldedViewTest, FoldedTextEqualsFoldText) {
  for (std::string_view text :
       {std::string_view("Plain ASCII"), std::string_view("Grüße aus Zürich"),
        std::string_view("ΟΔΥΣΣΕΥΣ στην Αθήνα"), std::string_view("東京 ＮＡＴＯ İ")}) {
    FoldedView view;
    view.Reset(text);
    EXPECT_EQ(view.folded(), FoldText(text)) << text;
  }
}

}  // namespace
}  // namespace tagwire
