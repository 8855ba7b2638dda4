namespace Ddnn.Bench.Cli;

/// <summary>The type of value a command-line option takes.</summary>
public enum OptionKind
{
    Int,
    Float,
    String,
    Enum,
    Flag,
}
