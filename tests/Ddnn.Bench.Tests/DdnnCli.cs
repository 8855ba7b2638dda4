namespace Ddnn.Bench.Tests;

/// <summary>What one in-process <c>ddnn</c> command line printed and returned.</summary>
public sealed record CliResult(int Code, string Out, string Err)
{
    /// <summary>Stderr as one line (asserting that it is exactly one non-empty line).</summary>
    public string SingleErrorLine()
    {
        var lines = Err.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
        Assert.True(lines.Length == 1 && lines[0].Length > 0, $"expected one error line, got:\n{Err}");
        return lines[0];
    }

    public override string ToString() => $"exit {Code}\n--- stdout\n{Out}\n--- stderr\n{Err}";
}

/// <summary>Runs <c>ddnn</c> command lines in process through <see cref="Program.Run"/>, with captured writers.</summary>
internal static class DdnnCli
{
    public static CliResult Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        // DDNN_DEBUG is read from a fixed empty environment, so a developer's shell cannot add stack traces.
        var code = Program.Run(args, output, error, environment: _ => null);
        return new CliResult(code, output.ToString(), error.ToString());
    }

    /// <summary>Runs a command line that must succeed; the failure message shows everything it printed.</summary>
    public static CliResult Succeed(params string[] args)
    {
        var result = Run(args);
        Assert.True(result.Code == 0, result.ToString());
        return result;
    }

    /// <summary>The lines of <paramref name="text"/> that follow the line <paramref name="title"/> up to the next blank line.</summary>
    public static string[] TableAfter(string text, string title)
    {
        var lines = text.ReplaceLineEndings("\n").Split('\n');
        var at = Array.FindIndex(lines, l => l.StartsWith(title, StringComparison.Ordinal));
        Assert.True(at >= 0, $"no table titled '{title}' in:\n{text}");
        return lines.Skip(at + 1).TakeWhile(l => l.Length > 0).ToArray();
    }
}
