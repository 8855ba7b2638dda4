using System.Text;
using Ddnn.Training.Reporting;

namespace Ddnn.Training.Tests.Reporting;

public class TextWidthTests
{
    [Theory]
    [InlineData("", 0)]
    [InlineData("abc", 3)]
    [InlineData("µs", 2)]
    [InlineData("e\u0301", 1)]        // combining acute accent
    [InlineData("a\u200Bb", 2)]       // zero-width space (format character)
    [InlineData("数据", 4)]            // CJK ideographs
    [InlineData("ｘ", 2)]             // fullwidth Latin
    [InlineData("한", 2)]             // Hangul syllable
    [InlineData("\U0001F600", 2)]     // emoji outside the BMP: one code point, two UTF-16 chars, two columns
    [InlineData("\U00010348", 1)]     // Gothic letter: outside the BMP but narrow
    public void CountsTerminalColumns(string text, int expected) => Assert.Equal(expected, TextWidth.Of(text));

    [Fact]
    public void RejectsNull() => Assert.Throws<ArgumentNullException>(() => TextWidth.Of((string)null!));

    [Fact]
    public void RuneWidthsAreZeroOneOrTwo()
    {
        Assert.Equal(0, TextWidth.Of(new Rune(0x0301)));
        Assert.Equal(1, TextWidth.Of(new Rune('A')));
        Assert.Equal(2, TextWidth.Of(new Rune(0x4E00)));
    }
}
