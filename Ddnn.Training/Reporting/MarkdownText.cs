using System.Text;

namespace Ddnn.Training.Reporting;

/// <summary>Escaping of free text placed into Markdown, so that data never breaks the document's structure.</summary>
internal static class MarkdownText
{
    /// <summary>Text fit for one table cell: pipes escaped, line breaks turned into &lt;br&gt;.</summary>
    public static string Cell(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Replace("\\", "\\\\").Replace("|", "\\|").ReplaceLineEndings("<br>");
    }

    /// <summary>Text fit for a heading: one line, leading '#' escaped.</summary>
    public static string Heading(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var line = text.ReplaceLineEndings(" ").Trim();
        return line.StartsWith('#') ? "\\" + line : line;
    }

    /// <summary>Free text as a paragraph: normalized line ends, lines that would start a heading, a table or a rule escaped.</summary>
    public static string Paragraph(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new StringBuilder();
        foreach (var line in text.ReplaceLineEndings("\n").Split('\n'))
        {
            if (result.Length > 0) result.Append('\n');
            var trimmed = line.TrimStart();
            if (trimmed.StartsWith('#') || trimmed.StartsWith('|') || trimmed.StartsWith("---") || trimmed.StartsWith("==="))
                result.Append('\\');
            result.Append(trimmed);
        }
        return result.ToString();
    }

    /// <summary>A relative link target with spaces and parentheses percent-encoded and separators as '/'.</summary>
    public static string LinkTarget(string relativePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(relativePath);
        return relativePath.Replace('\\', '/').Replace(" ", "%20").Replace("(", "%28").Replace(")", "%29");
    }
}
