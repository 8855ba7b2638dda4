using BenchmarkDotNet.Loggers;

namespace Ddnn.Bench.Benchmarks;

/// <summary>A quiet BenchmarkDotNet logger: passes on only the line naming each benchmark case as it starts, and errors.</summary>
public sealed class ProgressLogger(TextWriter output) : ILogger
{
    private const string CaseMarker = "// Benchmark: ";
    private readonly System.Text.StringBuilder _line = new();

    public string Id => nameof(ProgressLogger);
    public int Priority => 0;

    public void Write(LogKind logKind, string text)
    {
        _line.Append(text);
        if (logKind == LogKind.Error) FlushLine(logKind);
    }

    public void WriteLine() => FlushLine(LogKind.Default);

    public void WriteLine(LogKind logKind, string text)
    {
        _line.Append(text);
        FlushLine(logKind);
    }

    public void Flush() => output.Flush();

    private void FlushLine(LogKind kind)
    {
        var line = _line.ToString();
        _line.Clear();
        if (line.StartsWith(CaseMarker, StringComparison.Ordinal))
            output.WriteLine("  " + line[CaseMarker.Length..]);
        else if (kind == LogKind.Error && line.Length > 0)
            output.WriteLine("  error: " + line);
    }
}
