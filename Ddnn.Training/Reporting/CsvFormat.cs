using System.Text;

namespace Ddnn.Training.Reporting;

/// <summary>RFC 4180 CSV records: writing with minimal quoting and CRLF line ends, and a strict reader for round trips.</summary>
internal static class CsvFormat
{
    /// <summary>A field as written: quoted (with inner quotes doubled) when it holds a comma, quote, CR or LF, or edge spaces.</summary>
    public static string Escape(string field)
    {
        ArgumentNullException.ThrowIfNull(field);
        var needsQuotes = field.AsSpan().IndexOfAny(",\"\r\n") >= 0
                          || (field.Length > 0 && (field[0] == ' ' || field[^1] == ' '));
        return needsQuotes ? "\"" + field.Replace("\"", "\"\"") + "\"" : field;
    }

    /// <summary>Appends one record (fields escaped, comma separated) and its CRLF terminator.</summary>
    public static void AppendRecord(StringBuilder text, IReadOnlyList<string> fields)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(fields);
        for (var i = 0; i < fields.Count; i++)
        {
            if (i > 0) text.Append(',');
            text.Append(Escape(fields[i]));
        }
        text.Append("\r\n");
    }

    /// <summary>Parses CSV text into records; accepts CRLF or LF record ends and a missing final terminator.</summary>
    /// <param name="text">The whole CSV document.</param>
    /// <param name="source">Names the text in error messages (e.g. the file path).</param>
    /// <exception cref="InvalidDataException">A quote is left open, or a closing quote is followed by something other than a separator.</exception>
    public static List<string[]> Parse(string text, string source = "CSV text")
    {
        ArgumentNullException.ThrowIfNull(text);
        var records = new List<string[]>();
        var record = new List<string>();
        var field = new StringBuilder();
        var line = 1;
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] == '"')
            {
                var openedOn = line;
                i++;
                while (true)
                {
                    if (i >= text.Length)
                        throw new InvalidDataException($"{source}: quoted field opened on line {openedOn} is never closed");
                    if (text[i] == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i += 2; continue; }
                        i++;
                        break;
                    }
                    if (text[i] == '\n') line++;
                    field.Append(text[i++]);
                }
                if (i < text.Length && text[i] is not (',' or '\r' or '\n'))
                    throw new InvalidDataException($"{source}: line {line}: unexpected '{text[i]}' after a closing quote");
            }
            else
            {
                while (i < text.Length && text[i] is not (',' or '\r' or '\n'))
                {
                    if (text[i] == '"')
                        throw new InvalidDataException($"{source}: line {line}: a quote inside an unquoted field");
                    field.Append(text[i++]);
                }
            }

            record.Add(field.ToString());
            field.Clear();
            if (i >= text.Length) break;
            if (text[i] == ',') { i++; if (i == text.Length) { record.Add(""); break; } continue; }
            if (text[i] == '\r') i++;
            if (i < text.Length && text[i] == '\n') i++;
            line++;
            records.Add(record.ToArray());
            record.Clear();
        }
        if (record.Count > 0) records.Add(record.ToArray());
        return records;
    }
}
