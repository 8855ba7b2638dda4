using System.Globalization;

namespace Ddnn.Bench.Cli;

/// <summary>One <c>--name value</c> option of a verb: its kind, default, allowed range or choices, and help text.</summary>
public sealed record CliOption
{
    private CliOption(string name, OptionKind kind, string help, string? defaultValue, IReadOnlyList<string>? choices, double? min, double? max, string? valueName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(help);
        if (name.StartsWith('-') || name.Contains('=') || name.Any(char.IsWhiteSpace))
            throw new ArgumentException($"option name '{name}' must be given without dashes and contain no '=' or spaces", nameof(name));
        Name = name;
        Kind = kind;
        Help = help;
        DefaultValue = defaultValue;
        Choices = choices;
        Min = min;
        Max = max;
        ValueName = valueName;
    }

    /// <summary>Name without the leading dashes, e.g. "epochs".</summary>
    public string Name { get; }
    public OptionKind Kind { get; }
    public string Help { get; }

    /// <summary>The default as text (parsed like a command-line value), or null when the option has none.</summary>
    public string? DefaultValue { get; }

    /// <summary>Allowed values of an <see cref="OptionKind.Enum"/> option.</summary>
    public IReadOnlyList<string>? Choices { get; }
    public double? Min { get; }
    public double? Max { get; }

    /// <summary>Placeholder shown in help, e.g. "path"; defaults to the kind.</summary>
    public string? ValueName { get; }

    public static CliOption Int(string name, int? defaultValue, string help, int min = int.MinValue, int max = int.MaxValue, string? valueName = null)
    {
        if (min > max)
            throw new ArgumentException($"option --{name}: min {min} > max {max}", nameof(min));
        if (defaultValue is { } d && (d < min || d > max))
            throw new ArgumentException($"option --{name}: default {d} is outside {min}..{max}", nameof(defaultValue));
        return new(name, OptionKind.Int, help, defaultValue?.ToString(CultureInfo.InvariantCulture), null,
            min == int.MinValue ? null : min, max == int.MaxValue ? null : max, valueName);
    }

    public static CliOption Float(string name, double? defaultValue, string help, double min = double.NegativeInfinity, double max = double.PositiveInfinity, string? valueName = null)
    {
        if (min > max)
            throw new ArgumentException($"option --{name}: min {min} > max {max}", nameof(min));
        if (defaultValue is { } d && (d < min || d > max))
            throw new ArgumentException($"option --{name}: default {d} is outside [{min}, {max}]", nameof(defaultValue));
        return new(name, OptionKind.Float, help, defaultValue?.ToString("R", CultureInfo.InvariantCulture), null,
            double.IsNegativeInfinity(min) ? null : min, double.IsPositiveInfinity(max) ? null : max, valueName);
    }

    public static CliOption String(string name, string? defaultValue, string help, string? valueName = null) =>
        new(name, OptionKind.String, help, defaultValue, null, null, null, valueName);

    public static CliOption Enum(string name, string? defaultValue, IReadOnlyList<string> choices, string help)
    {
        ArgumentNullException.ThrowIfNull(choices);
        if (choices.Count == 0)
            throw new ArgumentException($"option --{name}: at least one choice is required", nameof(choices));
        if (defaultValue is not null && !choices.Contains(defaultValue, StringComparer.OrdinalIgnoreCase))
            throw new ArgumentException($"option --{name}: default '{defaultValue}' is not one of {string.Join("|", choices)}", nameof(defaultValue));
        return new(name, OptionKind.Enum, help, defaultValue, choices.ToArray(), null, null, null);
    }

    public static CliOption Flag(string name, string help) => new(name, OptionKind.Flag, help, "false", null, null, null, null);

    /// <summary>What a valid value looks like, as used in error messages: "a positive integer", "one of a|b".</summary>
    public string Expectation => Kind switch
    {
        OptionKind.Int when Min == 1 && Max is null => "a positive integer",
        OptionKind.Int when Min == 0 && Max is null => "a non-negative integer",
        OptionKind.Int => Min is null && Max is null ? "an integer" : $"an integer in {Format(Min, "-inf")}..{Format(Max, "inf")}",
        OptionKind.Float when Min is null && Max is null => "a number",
        OptionKind.Float when Min == 0 && Max is null => "a non-negative number",
        OptionKind.Float => $"a number in [{Format(Min, "-inf")}, {Format(Max, "inf")}]",
        OptionKind.Enum => "one of " + string.Join("|", Choices!),
        OptionKind.Flag => "true or false",
        _ => ValueName is null ? "a value" : $"a {ValueName}",
    };

    /// <summary>Placeholder for help output, e.g. "&lt;int&gt;" or "&lt;car|bus&gt;".</summary>
    public string Placeholder => Kind switch
    {
        OptionKind.Flag => "",
        OptionKind.Enum => "<" + string.Join("|", Choices!) + ">",
        _ => "<" + (ValueName ?? Kind.ToString().ToLowerInvariant()) + ">",
    };

    /// <summary>Parses <paramref name="text"/> into the option's value (int, double, string or bool); false when it is not a valid value.</summary>
    public bool TryParse(string text, out object value)
    {
        value = text;
        switch (Kind)
        {
            case OptionKind.Int:
                if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int i)
                    || (Min is { } imin && i < imin) || (Max is { } imax && i > imax))
                    return false;
                value = i;
                return true;
            case OptionKind.Float:
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double f) || !double.IsFinite(f)
                    || (Min is { } fmin && f < fmin) || (Max is { } fmax && f > fmax))
                    return false;
                value = f;
                return true;
            case OptionKind.Enum:
                string? choice = Choices!.FirstOrDefault(c => string.Equals(c, text, StringComparison.OrdinalIgnoreCase));
                if (choice is null)
                    return false;
                value = choice;
                return true;
            case OptionKind.Flag:
                if (!bool.TryParse(text, out bool b))
                    return false;
                value = b;
                return true;
            default:
                if (text.Length == 0)
                    return false;
                return true;
        }
    }

    private static string Format(double? bound, string unbounded) =>
        bound is { } b ? b.ToString(CultureInfo.InvariantCulture) : unbounded;
}
