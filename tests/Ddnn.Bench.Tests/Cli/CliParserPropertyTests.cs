using System.Globalization;
using Ddnn.Bench.Cli;
using FsCheck.Xunit;

namespace Ddnn.Bench.Tests.Cli;

public class CliParserPropertyTests
{
    private static readonly CliOption[] Options =
    [
        CliOption.Int("n", 1, "count", min: -50, max: 50),
        CliOption.Float("x", 0.0, "value"),
    ];

    [Property(MaxTest = 200)]
    public bool Int_values_round_trip_in_both_syntaxes_and_range_is_enforced(int value)
    {
        string text = value.ToString(CultureInfo.InvariantCulture);
        bool inRange = value is >= -50 and <= 50;
        foreach (var tokens in new[] { new[] { "--n", text }, new[] { "--n=" + text } })
        {
            try
            {
                var parsed = CliParser.Parse(Options, tokens);
                if (!inRange || parsed.GetInt("n") != value)
                    return false;
            }
            catch (CliUsageException e)
            {
                if (inRange || !e.Message.Contains($"got '{text}'", StringComparison.Ordinal))
                    return false;
            }
        }
        return true;
    }

    [Property(MaxTest = 200)]
    public bool Finite_float_values_round_trip(double value)
    {
        if (!double.IsFinite(value))
            return true;
        string text = value.ToString("R", CultureInfo.InvariantCulture);
        return CliParser.Parse(Options, ["--x", text]).GetFloat("x") == value;
    }
}
