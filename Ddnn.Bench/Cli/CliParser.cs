namespace Ddnn.Bench.Cli;

/// <summary>Turns a verb's tokens (<c>--opt value</c>, <c>--opt=value</c>, <c>--flag</c>) into validated <see cref="CliArguments"/>.</summary>
public static class CliParser
{
    /// <summary>
    /// Parses <paramref name="tokens"/> against <paramref name="options"/>; throws <see cref="CliUsageException"/> on the
    /// first problem, with the <paramref name="retired"/> option's own message when an old name is given.
    /// </summary>
    public static CliArguments Parse(IReadOnlyList<CliOption> options, IReadOnlyList<string> tokens, IReadOnlyList<RetiredOption>? retired = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(tokens);
        var byName = options.ToDictionary(o => o.Name, StringComparer.Ordinal);
        var values = new Dictionary<string, object>(StringComparer.Ordinal);
        var given = new HashSet<string>(StringComparer.Ordinal);

        for (int i = 0; i < tokens.Count; i++)
        {
            string token = tokens[i];
            if (!token.StartsWith("--", StringComparison.Ordinal) || token.Length == 2)
                throw new CliUsageException($"unexpected argument '{token}' (options are written --name value)");
            int equals = token.IndexOf('=');
            string name = equals < 0 ? token[2..] : token[2..equals];
            if (!byName.TryGetValue(name, out var option))
            {
                throw new CliUsageException(retired?.FirstOrDefault(r => r.Name == name)?.Message
                    ?? $"unknown option '--{name}'");
            }
            if (!given.Add(name))
                throw new CliUsageException($"--{name} given more than once");

            string text;
            if (equals >= 0)
            {
                text = token[(equals + 1)..];
            }
            else if (option.Kind == OptionKind.Flag)
            {
                text = "true";
            }
            else
            {
                // A following "--x" is the next option, so the value is missing; "-1" is a value.
                if (i + 1 >= tokens.Count || tokens[i + 1].StartsWith("--", StringComparison.Ordinal))
                    throw new CliUsageException($"--{name} expects {option.Expectation} but no value was given");
                text = tokens[++i];
            }
            if (!option.TryParse(text, out object value))
                throw CliUsageException.BadValue(option, text);
            values[name] = value;
        }

        foreach (var option in options)
        {
            if (!values.ContainsKey(option.Name) && option.DefaultValue is not null)
            {
                if (!option.TryParse(option.DefaultValue, out object value))
                    throw new InvalidOperationException($"default '{option.DefaultValue}' of --{option.Name} is not {option.Expectation}");
                values[option.Name] = value;
            }
        }
        return new CliArguments(options, values, given);
    }
}
