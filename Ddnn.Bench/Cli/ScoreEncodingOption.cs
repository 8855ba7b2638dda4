using Ddnn.Core.Inference;

namespace Ddnn.Bench.Cli;

/// <summary>The <c>--scores f32|u8</c> option: how devices send class scores to the local aggregator.</summary>
public static class ScoreEncodingOption
{
    private const string Name = "scores";

    /// <summary>The option with <paramref name="defaultValue"/> (null: no default, the caller falls back on its own).</summary>
    public static CliOption Create(string? defaultValue, string help) => CliOption.Enum(Name, defaultValue, ["f32", "u8"], help);

    /// <summary>The encoding given (or defaulted), or null when the option has no value.</summary>
    public static ScoreEncoding? Read(CliArguments arguments)
    {
        if (!arguments.HasValue(Name)) return null;
        return arguments.GetEnum(Name) == "u8" ? ScoreEncoding.UInt8 : ScoreEncoding.Float32;
    }
}
