using System.Globalization;
using System.Text;

namespace Ddnn.Training.Reporting;

/// <summary>
/// How many terminal columns text occupies, so console tables stay aligned: combining marks and format characters
/// take none, East Asian wide and fullwidth characters (CJK, Hangul, most emoji) take two, everything else one.
/// </summary>
internal static class TextWidth
{
    /// <summary>The number of terminal columns <paramref name="text"/> occupies on one line.</summary>
    public static int Of(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var width = 0;
        foreach (var rune in text.EnumerateRunes()) width += Of(rune);
        return width;
    }

    /// <summary>The number of terminal columns one code point occupies: 0, 1 or 2.</summary>
    public static int Of(Rune rune)
    {
        var category = Rune.GetUnicodeCategory(rune);
        if (category is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.Format
            or UnicodeCategory.Control)
            return 0;
        return IsWide(rune.Value) ? 2 : 1;
    }

    // The East Asian Wide (W) and Fullwidth (F) blocks, as in Markus Kuhn's wcwidth.
    private static bool IsWide(int c) =>
        c >= 0x1100 && (c <= 0x115F
            || c is 0x2329 or 0x232A
            || (c >= 0x2E80 && c <= 0xA4CF && c != 0x303F)
            || (c >= 0xAC00 && c <= 0xD7A3)
            || (c >= 0xF900 && c <= 0xFAFF)
            || (c >= 0xFE10 && c <= 0xFE19)
            || (c >= 0xFE30 && c <= 0xFE6F)
            || (c >= 0xFF00 && c <= 0xFF60)
            || (c >= 0xFFE0 && c <= 0xFFE6)
            || (c >= 0x1F300 && c <= 0x1F64F)
            || (c >= 0x1F900 && c <= 0x1F9FF)
            || (c >= 0x20000 && c <= 0x2FFFD)
            || (c >= 0x30000 && c <= 0x3FFFD));
}
