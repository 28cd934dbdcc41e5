#include "services/common/text.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace hotspot::common {
namespace {

TEST(PrintableUtf8Test, RefusesControlCharactersOverridesAndBrokenUtf8) {
  EXPECT_TRUE(PrintableUtf8("Åse Møller-Nørgaard"));
  EXPECT_TRUE(PrintableUtf8("مريم"));  // right-to-left script itself is fine
  EXPECT_FALSE(PrintableUtf8(std::string("a\0b", 3)));
  EXPECT_FALSE(PrintableUtf8("row\r\nforged | row"));
  EXPECT_FALSE(PrintableUtf8("\x1b[31mred"));
  EXPECT_FALSE(PrintableUtf8("\x7f"));
  EXPECT_FALSE(PrintableUtf8("\xc2\x85"));  // NEL, a C1 control
  EXPECT_FALSE(PrintableUtf8("evil\xe2\x80\xaegnp.exe"));  // U+202E
  EXPECT_FALSE(PrintableUtf8("\xe2\x81\xa6x"));            // U+2066
  EXPECT_FALSE(PrintableUtf8("\xff"));
  EXPECT_FALSE(PrintableUtf8("\xc0\xaf"));      // overlong '/'
  EXPECT_FALSE(PrintableUtf8("\xed\xa0\x80"));  // a surrogate
  EXPECT_FALSE(PrintableUtf8("\xe2\x82"));      // cut short
  // Newlines only where asked for; never a carriage return or a tab.
  EXPECT_FALSE(PrintableUtf8("two\nlines"));
  EXPECT_TRUE(PrintableUtf8("two\nlines", /*newlines=*/true));
  EXPECT_TRUE(PrintableUtf8("para\xe2\x80\xa9graph", /*newlines=*/true));
  EXPECT_FALSE(PrintableUtf8("para\xe2\x80\xa9graph"));
  EXPECT_FALSE(PrintableUtf8("a\r\nb", /*newlines=*/true));
  EXPECT_FALSE(PrintableUtf8("a\tb", /*newlines=*/true));
}

// Invisible characters would let "Anna" and "An<zero width space>na" be two people who read
// alike: refused everywhere, but for the joiners, which shape scripts and emoji in free text.
TEST(PrintableUtf8Test, RefusesInvisibleCharacters) {
  for (const char* invisible : {"\u00AD", "\u061C", "\u180E", "\u200B", "\u200E", "\u200F",
                                "\u2060", "\u2064", "\uFEFF"}) {
    EXPECT_FALSE(PrintableUtf8(absl::StrCat("An", invisible, "na"))) << invisible;
    EXPECT_FALSE(PrintableUtf8(absl::StrCat("An", invisible, "na"), /*newlines=*/true))
        << invisible;
  }
  for (const char* joiner : {"\u200C", "\u200D"}) {
    EXPECT_FALSE(PrintableUtf8(absl::StrCat("An", joiner, "na"))) << joiner;
    EXPECT_TRUE(PrintableUtf8(absl::StrCat("Thumbs \U0001F44D", joiner, "\U0001F3FD"),
                              /*newlines=*/true))
        << joiner;
  }
  EXPECT_TRUE(PrintableUtf8("Anna \u2014 the chief"));  // an em dash is visible
}

// One rule for a person's name, whichever way it comes (tokens file, OIDC claim, command).
TEST(PersonNameTest, OneWordOfPrintableUtf8WithoutSlashes) {
  EXPECT_TRUE(PersonName("teacher-ole"));
  EXPECT_TRUE(PersonName("s\u00f8ren@kommune.dk"));
  EXPECT_TRUE(PersonName(std::string(kMaxPersonBytes, 'a')));
  EXPECT_FALSE(PersonName(""));
  EXPECT_FALSE(PersonName(std::string(kMaxPersonBytes + 1, 'a')));
  for (const char* bad : {"anna jensen", "anna\u00A0jensen", "anna\u2003jensen", "anna\u3000j",
                          "ole/admin", "an\u200Bna", "an\u200Dna", "anna\u202Eadmin",
                          "anna\x1b[31m", "anna\tj", "\xc3"}) {
    EXPECT_FALSE(PersonName(bad)) << bad;
  }
}

TEST(NormaliseNameTest, FoldsCaseSpacesAndHyphens) {
  EXPECT_EQ(NormaliseName("  ÆBLE-ØSTER\xC2\xA0 Åse\t"), "æble øster åse");
  EXPECT_EQ(NormaliseName("A\xC3\x97"
                          "B"),
            "a\xC3\x97"
            "b");  // × is no letter
  EXPECT_EQ(NormaliseName(" - "), std::nullopt);
  EXPECT_EQ(NormaliseName("  COPENHAGEN "), NormaliseName("Copenhagen"));
  EXPECT_NE(NormaliseName("København"), NormaliseName("Copenhagen"));  // two names, as entered
}

TEST(EscapeForTerminalTest, ShowsWhatWouldActOnTheTerminalAndKeepsTheRest) {
  EXPECT_EQ(EscapeForTerminal("Åse Møller"), "Åse Møller");
  EXPECT_EQ(EscapeForTerminal("\x1b[2Jgone"), "\\x1b[2Jgone");
  EXPECT_EQ(EscapeForTerminal("a\r\nb\tc"), "a\\r\\nb\\tc");
  EXPECT_EQ(EscapeForTerminal("evil\xe2\x80\xaegnp"), "evil\\u202egnp");
  EXPECT_EQ(EscapeForTerminal("\xc2\x85"), "\\x85");
  EXPECT_EQ(EscapeForTerminal("\xff!"), "\\xff!");
  EXPECT_EQ(EscapeForTerminal("back\\slash"), "back\\\\slash");
  EXPECT_EQ(EscapeForTerminal(std::string("a\0b", 3)), "a\\x00b");
}

TEST(EscapeJsonForTerminalTest, EscapesTheUnicodeControlsJsonLeavesAsTheyAre) {
  EXPECT_EQ(EscapeJsonForTerminal("{\n  \"name\": \"evil\xe2\x80\xaegnp \xc2\x85 Åse\"\n}"),
            "{\n  \"name\": \"evil\\u202egnp \\u0085 Åse\"\n}");
}

}  // namespace
}  // namespace hotspot::common
