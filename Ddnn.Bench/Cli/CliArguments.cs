namespace Ddnn.Bench.Cli;

/// <summary>The parsed, validated option values of one verb invocation (defaults filled in).</summary>
public sealed class CliArguments
{
    private readonly Dictionary<string, CliOption> _options;
    private readonly Dictionary<string, object> _values;
    private readonly HashSet<string> _given;

    internal CliArguments(IEnumerable<CliOption> options, Dictionary<string, object> values, HashSet<string> given)
    {
        _options = options.ToDictionary(o => o.Name, StringComparer.Ordinal);
        _values = values;
        _given = given;
    }

    /// <summary>True when the option was given on the command line (not just defaulted).</summary>
    public bool IsSet(string name)
    {
        Find(name);
        return _given.Contains(name);
    }

    /// <summary>True when the option has a value (given or a default).</summary>
    public bool HasValue(string name)
    {
        Find(name);
        return _values.ContainsKey(name);
    }

    public int GetInt(string name) => (int)Get(name, OptionKind.Int);
    public int? GetOptionalInt(string name) => TryGet(name, OptionKind.Int) is int v ? v : null;
    public double GetFloat(string name) => (double)Get(name, OptionKind.Float);
    public string GetString(string name) => (string)Get(name, OptionKind.String);
    public string? GetOptionalString(string name) => TryGet(name, OptionKind.String) as string;
    public string GetEnum(string name) => (string)Get(name, OptionKind.Enum);
    public bool GetFlag(string name) => (bool)Get(name, OptionKind.Flag);

    private object Get(string name, OptionKind kind) =>
        TryGet(name, kind) ?? throw new InvalidOperationException($"option --{name} has no value and no default");

    private object? TryGet(string name, OptionKind kind)
    {
        var option = Find(name);
        if (option.Kind != kind)
            throw new InvalidOperationException($"option --{name} is {option.Kind}, read as {kind}");
        return _values.GetValueOrDefault(name);
    }

    private CliOption Find(string name) =>
        _options.GetValueOrDefault(name) ?? throw new InvalidOperationException($"option --{name} is not declared by this verb");
}
