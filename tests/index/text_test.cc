// Tests index/text.cc: plain text from HTML.
#include "index/text.h"

#include <gtest/gtest.h>

namespace whoknows::index {
namespace {

// ---------------------------------------------------------------------------
// HtmlToText

TEST(TextTest, HtmlToTextStripsTags) {
  EXPECT_EQ(HtmlToText("Use <b>lots</b> of <a href=\"x\">hops</a>."),
            "Use lots of hops.");
  EXPECT_EQ(HtmlToText("<em>a</em><strong>b</strong>"), "ab");
  EXPECT_EQ(HtmlToText("plain text"), "plain text");
  EXPECT_EQ(HtmlToText(""), "");
}

TEST(TextTest, HtmlToTextDecodesEntities) {
  EXPECT_EQ(HtmlToText("Sm&#229;land"), "Småland");
  EXPECT_EQ(HtmlToText("Sm&#xE5;land &#xe4;"), "Småland ä");
  EXPECT_EQ(HtmlToText("&lt;b&gt; &amp; &quot;q&quot; &apos;s&apos;"),
            "<b> & \"q\" 's'");
  EXPECT_EQ(HtmlToText("5&nbsp;kg"), "5 kg");
  EXPECT_EQ(HtmlToText("&#8364; &#128512;"), "€ 😀");
  EXPECT_EQ(HtmlToText("a&ndash;b&hellip;"), "a–b…");
  // Not an entity: kept as written.
  EXPECT_EQ(HtmlToText("AT&T rules"), "AT&T rules");
  EXPECT_EQ(HtmlToText("&bogus; x"), "&bogus; x");
}

TEST(TextTest, HtmlToTextParagraphsBecomeLineBreaks) {
  EXPECT_EQ(HtmlToText("<p>First paragraph.</p>\n\n<p>Second one.</p>"),
            "First paragraph.\nSecond one.");
  EXPECT_EQ(HtmlToText("<p>First</p><p>Second</p>"), "First\nSecond");
  EXPECT_EQ(HtmlToText("line<br>next<br/>last"), "line\nnext\nlast");
  EXPECT_EQ(HtmlToText("<ul><li>one</li><li>two</li></ul>"), "one\ntwo");
  EXPECT_EQ(HtmlToText("<h1>Title</h1><div>Body</div>"), "Title\nBody");
}

TEST(TextTest, HtmlToTextKeepsCode) {
  EXPECT_EQ(HtmlToText("<pre><code>x = a &lt; b;</code></pre>"), "x = a < b;");
}

TEST(TextTest, HtmlToTextTrimsLeadingAndTrailingSpace) {
  EXPECT_EQ(HtmlToText("  <p> text </p>\n\n"), "text");
}

// Regression: a '<' that starts no tag once ended the conversion ("a < b"
// became "a").
TEST(TextTest, HtmlToTextKeepsTextAfterStrayLessThan) {
  EXPECT_EQ(HtmlToText("if a < b then swap"), "if a < b then swap");
}

TEST(TextTest, OpeningKeepsWholeWordsAndMarksTheCut) {
  EXPECT_EQ(Opening("short text", 300), "short text");
  EXPECT_EQ(Opening("printer queue stuck again", 15), "printer queue…");
  // The cut falls on a space: the words before it fit whole.
  EXPECT_EQ(Opening("printer queue stuck", 13), "printer queue…");
  // Spaces before the cut are not kept.
  EXPECT_EQ(Opening("printer   queue", 9), "printer…");
  EXPECT_EQ(Opening("printer\nqueue", 10), "printer…");
}

// A first word longer than the limit is cut inside it, never inside a
// character: "å" and "ö" are two bytes each.
TEST(TextTest, OpeningNeverSplitsACharacter) {
  const std::string word =
      "skrivarkö"
      "åtgärdsöversikt";  // no space
  for (size_t max = 1; max < word.size(); ++max) {
    const std::string out = Opening(word, max);
    ASSERT_TRUE(out.ends_with("…")) << max;
    const std::string kept =
        out.substr(0, out.size() - std::string("…").size());
    EXPECT_LE(kept.size(), max);
    EXPECT_TRUE(word.starts_with(kept)) << max;
    // Ends on a character's last byte: the next byte of the word starts one.
    EXPECT_NE(static_cast<unsigned char>(word[kept.size()]) & 0xC0, 0x80)
        << max << ": " << kept;
  }
}

}  // namespace
}  // namespace whoknows::index
