using System.Text;

namespace Ddnn.Bench.Cli;

/// <summary>
/// Starts every line it writes on a fresh console line: an interactive progress bar is redrawn in place without a
/// line break, so a log line written while it shows must first end the bar's line.
/// </summary>
public sealed class FreshLineWriter(TextWriter inner) : TextWriter
{
    public override Encoding Encoding => inner.Encoding;
    public override void Write(char value) => inner.Write(value);
    public override void WriteLine(string? value)
    {
        inner.WriteLine();
        inner.WriteLine(value);
    }

    public override void Flush() => inner.Flush();
}
