#include "core/unicode.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>

namespace tagwire {
namespace {

// --- UTF-8 validation -------------------------------------------------------

TEST(FindInvalidUtf8Test, ValidTextReturnsSize) {
  for (std::string_view text :
       {std::string_view(""), std::string_view("plain ASCII"), std::string_view("Zürich"),
        std::string_view("Київ"), std::string_view("東京2020"),
        std::string_view("emoji \xF0\x9F\x98\x80 end"), std::string_view("\xF4\x8F\xBF\xBF")}) {
    EXPECT_EQ(FindInvalidUtf8(text), text.size()) << text;
    EXPECT_TRUE(IsValidUtf8(text)) << text;
  }
}

struct InvalidUtf8Case {
  const char* name;
  std::string text;
  size_t offset;  // of the first bad sequence
};

class InvalidUtf8Test : public ::testing::TestWithParam<InvalidUtf8Case> {};

TEST_P(InvalidUtf8Test, ReportsOffsetOfFirstBadSequence) {
  const InvalidUtf8Case& c = GetParam();
  EXPECT_EQ(FindInvalidUtf8(c.text), c.offset);
  EXPECT_FALSE(IsValidUtf8(c.text));
}

INSTANTIATE_TEST_SUITE_P(
    AllKinds, InvalidUtf8Test,
    ::testing::Values(
        InvalidUtf8Case{"OverlongSlash", std::string("ab\xC0\xAF"), 2},
        InvalidUtf8Case{"OverlongThreeByte", std::string("x\xE0\x80\xAF"), 1},
        InvalidUtf8Case{"OverlongFourByte", std::string("\xF0\x80\x80\xAF"), 0},
        InvalidUtf8Case{"Surrogate", std::string("abc\xED\xA0\x80xyz"), 3},
        InvalidUtf8Case{"LowSurrogate", std::string("\xED\xBF\xBF"), 0},
        InvalidUtf8Case{"ByteFF", std::string("hello \xFF"), 6},
        InvalidUtf8Case{"ByteFE", std::string("\xFE"), 0},
        InvalidUtf8Case{"PastMaxCodePoint", std::string("ok\xF4\x90\x80\x80"), 2},
        InvalidUtf8Case{"TruncatedAtEnd", std::string("Z\xC3\xBCrich \xE2\x82"), 8},
        InvalidUtf8Case{"TruncatedFourByteAtEnd", std::string("a\xF0\x9F\x98"), 1},
        InvalidUtf8Case{"LoneContinuation", std::string("abc\x80"), 3},
        InvalidUtf8Case{"ContinuationMissing", std::string("\xC3(ok"), 0},
        InvalidUtf8Case{"BadAfterValidMultibyte", std::string("\xD0\x9A\xD0\xB8\x80"), 4}),
    [](const ::testing::TestParamInfo<InvalidUtf8Case>& param) { return param.param.name; });

// IsValidUtf8 (SIMD) and FindInvalidUtf8 (scalar, reports offsets) must agree,
// or an article could pass validation and then be reported at a bogus offset.
TEST(Utf8ValidationTest, SimdAndScalarValidatorsAgreeOnRandomBytes) {
  std::mt19937 random(12345);
  // Bytes biased towards the interesting lead and continuation ranges.
  const unsigned char kBytes[] = {'a',  ' ',  0x7f, 0x80, 0x8f, 0x9f, 0xa0, 0xbf, 0xc0,
                                  0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5,
                                  0xf8, 0xff};
  std::uniform_int_distribution<size_t> pick(0, sizeof(kBytes) - 1);
  std::uniform_int_distribution<size_t> length(0, 12);
  int valid = 0;
  for (int i = 0; i < 50000; ++i) {
    std::string text;
    const size_t n = length(random);
    for (size_t k = 0; k < n; ++k) text.push_back(static_cast<char>(kBytes[pick(random)]));
    const bool scalar_valid = FindInvalidUtf8(text) == text.size();
    ASSERT_EQ(IsValidUtf8(text), scalar_valid) << "bytes #" << i;
    valid += scalar_valid;
  }
  EXPECT_GT(valid, 100);  // the sample exercised both outcomes
}

// --- Decoding ---------------------------------------------------------------

TEST(DecodeUtf8Test, DecodesEveryLength) {
  const std::string text = "a\xC3\xBC\xE6\x9D\xB1\xF0\x9F\x98\x80";  // a ü 東 😀
  int length = 0;
  EXPECT_EQ(DecodeUtf8At(text, 0, &length), U'a');
  EXPECT_EQ(length, 1);
  EXPECT_EQ(DecodeUtf8At(text, 1, &length), U'\u00FC');
  EXPECT_EQ(length, 2);
  EXPECT_EQ(DecodeUtf8At(text, 3, &length), U'\u6771');
  EXPECT_EQ(length, 3);
  EXPECT_EQ(DecodeUtf8At(text, 6, &length), U'\U0001F600');
  EXPECT_EQ(length, 4);

  EXPECT_EQ(DecodeUtf8Before(text, 1), U'a');
  EXPECT_EQ(DecodeUtf8Before(text, 3), U'\u00FC');
  EXPECT_EQ(DecodeUtf8Before(text, 6), U'\u6771');
  EXPECT_EQ(DecodeUtf8Before(text, 10), U'\U0001F600');
}

TEST(CountTest, CodePointsAndUtf16Units) {
  EXPECT_EQ(CountCodePoints(""), 0u);
  EXPECT_EQ(CountUtf16Units(""), 0u);
  EXPECT_EQ(CountCodePoints("Paris"), 5u);
  EXPECT_EQ(CountUtf16Units("Paris"), 5u);
  EXPECT_EQ(CountCodePoints("Київ"), 4u);  // 8 bytes
  EXPECT_EQ(CountUtf16Units("Київ"), 4u);
  EXPECT_EQ(CountCodePoints("東京"), 2u);  // 6 bytes
  EXPECT_EQ(CountUtf16Units("東京"), 2u);
  // An emoji outside the BMP is one code point but a surrogate pair.
  EXPECT_EQ(CountCodePoints("\xF0\x9F\x98\x80"), 1u);
  EXPECT_EQ(CountUtf16Units("\xF0\x9F\x98\x80"), 2u);
  EXPECT_EQ(CountCodePoints("a\xF0\x9F\x87\xBA\xF0\x9F\x87\xA6 b"), 5u);  // flag = 2 code points
  EXPECT_EQ(CountUtf16Units("a\xF0\x9F\x87\xBA\xF0\x9F\x87\xA6 b"), 7u);
}

// --- Character classes -------------------------------------------------------

TEST(CharacterClassTest, WordCharacters) {
  for (char32_t c : {U'a', U'Z', U'0', U'9', U'\u00E4', U'\u0416', U'\u03B1', U'\u6771',
                     U'\u0301', U'\u0663' /* Arabic-Indic three */, U'\u00B2' /* ² */}) {
    EXPECT_TRUE(IsWordCharacter(c)) << std::hex << static_cast<uint32_t>(c);
  }
  for (char32_t c : {U' ', U'.', U'-', U'\'', U'\u2019', U'\u00A0', U'\u3001' /* 、 */,
                     U'\U0001F600'}) {
    EXPECT_FALSE(IsWordCharacter(c)) << std::hex << static_cast<uint32_t>(c);
  }
}

TEST(CharacterClassTest, UnspacedScripts) {
  for (char32_t c : {U'\u6771' /* 東 */, U'\u3072' /* ひ */, U'\u30AB' /* カ */,
                     U'\u0E01' /* ก */, U'\u1780' /* Khmer ក */, U'\u1000' /* Myanmar */,
                     U'\U00020000'}) {
    EXPECT_TRUE(IsUnspacedScript(c)) << std::hex << static_cast<uint32_t>(c);
  }
  for (char32_t c : {U'a', U'1', U'\u0416', U'\uAC00' /* 가: Korean uses spaces */}) {
    EXPECT_FALSE(IsUnspacedScript(c)) << std::hex << static_cast<uint32_t>(c);
  }
}

TEST(CharacterClassTest, CombiningMarksAndCase) {
  EXPECT_TRUE(IsCombiningMark(U'\u0301'));
  EXPECT_TRUE(IsCombiningMark(U'\u0308'));
  EXPECT_FALSE(IsCombiningMark(U'e'));
  EXPECT_FALSE(IsCombiningMark(U'\u00E9'));

  EXPECT_TRUE(IsUppercaseLetter(U'A'));
  EXPECT_TRUE(IsUppercaseLetter(U'\u00DC'));  // Ü
  EXPECT_TRUE(IsUppercaseLetter(U'\u041A'));  // К
  EXPECT_TRUE(IsUppercaseLetter(U'\u01C5'));  // ǅ, titlecase (Lt)
  EXPECT_FALSE(IsUppercaseLetter(U'a'));
  EXPECT_FALSE(IsUppercaseLetter(U'\u6771'));
  EXPECT_FALSE(IsUppercaseLetter(U'1'));

  EXPECT_TRUE(IsLowercaseLetter(U'a'));
  EXPECT_TRUE(IsLowercaseLetter(U'\u00DF'));  // ß
  EXPECT_TRUE(IsLowercaseLetter(U'\u03C2'));  // ς
  EXPECT_FALSE(IsLowercaseLetter(U'A'));
  EXPECT_FALSE(IsLowercaseLetter(U'\u01C5'));
  EXPECT_FALSE(IsLowercaseLetter(U'\u6771'));
}

// --- Word boundaries ---------------------------------------------------------

// True if the first occurrence of `word` in `text` is a whole word.
bool FirstOccurrenceIsWholeWord(std::string_view text, std::string_view word) {
  const size_t at = text.find(word);
  EXPECT_NE(at, std::string_view::npos) << word << " not in " << text;
  if (at == std::string_view::npos) return false;
  return IsWholeWord(text, at, at + word.size());
}

TEST(IsWholeWordTest, AsciiWords) {
  EXPECT_TRUE(FirstOccurrenceIsWholeWord("Paris", "Paris"));
  EXPECT_TRUE(FirstOccurrenceIsWholeWord("in Paris, France", "Paris"));
  EXPECT_TRUE(FirstOccurrenceIsWholeWord("(Paris)", "Paris"));
  EXPECT_TRUE(FirstOccurrenceIsWholeWord("Paris's mayor", "Paris"));
  EXPECT_TRUE(FirstOccurrenceIsWholeWord("Paris-based", "Paris"));
  EXPECT_FALSE(FirstOccurrenceIsWholeWord("a Parisian cafe", "Paris"));
  EXPECT_FALSE(FirstOccurrenceIsWholeWord("Comparison", "paris"));
}

TEST(IsWholeWordTest, EmptyRangeIsNotAWord) {
  EXPECT_FALSE(IsWholeWord("Paris", 2, 2));
}

TEST(IsWholeWordTest, LettersOfEveryScriptJoin) {
  // "Lt" inside "erhält": the ä before it is a letter.
  EXPECT_FALSE(FirstOccurrenceIsWholeWord("Er erhält es", "lt"));
  // Cyrillic: "Київ" at the start of "Київщина" (the Kyiv region).
  EXPECT_FALSE(FirstOccurrenceIsWholeWord("Київщина", "Київ"));
  EXPECT_TRUE(FirstOccurrenceIsWholeWord("у Київ.", "Київ"));
  EXPECT_TRUE(FirstOccurrenceIsWholeWord("Київ", "Київ"));
  // Greek: "Αθήνα" inside "Αθήναι".
  EXPECT_FALSE(FirstOccurrenceIsWholeWord("Αθήναι", "Αθήνα"));
  EXPECT_TRUE(FirstOccurrenceIsWholeWord("στην Αθήνα σήμερα", "Αθήνα"));
}

TEST(IsWholeWordTest, DigitsJoinDigitsAndLetters) {
  EXPECT_FALSE(FirstOccurrenceIsWholeWord("G200 summit", "G20"));
  EXPECT_TRUE(FirstOccurrenceIsWholeWord("the G20 summit", "G20"));
  EXPECT_FALSE(FirstOccurrenceIsWholeWord("year 12020", "2020"));
  EXPECT_FALSE(FirstOccurrenceIsWholeWord("20201", "2020"));
  EXPECT_TRUE(FirstOccurrenceIsWholeWord("in 2020.", "2020"));
}

TEST(IsWholeWordTest, UnspacedScriptsSplitEverywhere) {
  EXPECT_TRUE(FirstOccurrenceIsWholeWord("東京2020", "東京"));
  EXPECT_TRUE(FirstOccurrenceIsWholeWord("東京都", "東京"));
  EXPECT_TRUE(FirstOccurrenceIsWholeWord("在東京", "東京"));
  // A Han character next to Latin letters also splits.
  EXPECT_TRUE(FirstOccurrenceIsWholeWord("iPhone発売", "iPhone"));
}

TEST(IsWholeWordTest, CombiningMarkAfterMentionContinuesIt) {
  // "Cafe" followed by U+0301 COMBINING ACUTE: the mark belongs to the "e".
  EXPECT_FALSE(FirstOccurrenceIsWholeWord("Cafe\xCC\x81 society", "Cafe"));
  EXPECT_TRUE(FirstOccurrenceIsWholeWord("Cafe\xCC\x81 society", "Cafe\xCC\x81"));
  // Even after an unspaced-script character.
  EXPECT_FALSE(FirstOccurrenceIsWholeWord("東\xCC\x81", "東"));
}

TEST(IsWholeWordTest, EmojiAndPunctuationDoNotJoin) {
  EXPECT_TRUE(FirstOccurrenceIsWholeWord("\xF0\x9F\x98\x80Paris\xF0\x9F\x98\x80", "Paris"));
  EXPECT_TRUE(FirstOccurrenceIsWholeWord("«Київ»", "Київ"));
  EXPECT_TRUE(FirstOccurrenceIsWholeWord("Paris\xC2\xA0" "France", "Paris"));  // no-break space
}

}  // namespace
}  // namespace tagwire
