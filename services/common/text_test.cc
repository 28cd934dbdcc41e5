#include "services/common/text.h"

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
