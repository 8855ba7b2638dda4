using System.Globalization;
using System.Text;

namespace Ddnn.Bench.Cli;

/// <summary>
/// Dispatches <c>ddnn &lt;verb&gt; [options]</c>: help at every level, one-line errors (exit 2 for usage,
/// 1 for failures, 130 for Ctrl+C) and stack traces only with --verbose or DDNN_DEBUG=1.
/// </summary>
public sealed class CliApp
{
    public const int ExitSuccess = 0;
    public const int ExitFailure = 1;
    public const int ExitUsage = 2;
    public const int ExitCancelled = 130;

    /// <summary>Built-in flag every verb accepts: full exception details on error.</summary>
    public static CliOption VerboseOption { get; } = CliOption.Flag("verbose", "print full error details (also DDNN_DEBUG=1)");

    private readonly string _program;
    private readonly string _description;
    private readonly List<ICliVerb> _verbs = [];
    private readonly IReadOnlyList<RetiredOption> _retired;

    /// <summary>An application of <paramref name="verbs"/>; a <paramref name="retired"/> option name is refused with its own message.</summary>
    public CliApp(string program, string description, IEnumerable<ICliVerb> verbs, IEnumerable<RetiredOption>? retired = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(program);
        ArgumentException.ThrowIfNullOrWhiteSpace(description);
        ArgumentNullException.ThrowIfNull(verbs);
        _program = program;
        _description = description;
        _retired = retired?.ToArray() ?? [];
        foreach (var verb in verbs)
            Add(verb);
    }

    public IReadOnlyList<ICliVerb> Verbs => _verbs;

    private void Add(ICliVerb verb)
    {
        ArgumentNullException.ThrowIfNull(verb);
        if (string.IsNullOrWhiteSpace(verb.Name) || verb.Name.StartsWith('-'))
            throw new ArgumentException($"verb name '{verb.Name}' is not valid", nameof(verb));
        if (_verbs.Any(v => v.Name == verb.Name))
            throw new ArgumentException($"verb '{verb.Name}' is registered twice", nameof(verb));
        var names = new HashSet<string>(StringComparer.Ordinal) { VerboseOption.Name, "help" };
        foreach (var option in verb.Options)
        {
            if (!names.Add(option.Name))
                throw new ArgumentException($"verb '{verb.Name}' declares option --{option.Name} twice or reuses a built-in name", nameof(verb));
        }
        _verbs.Add(verb);
    }

    /// <summary>Runs one command line. <paramref name="environment"/> reads variables (DDNN_DEBUG); defaults to the process environment.</summary>
    public int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellation = default,
        bool interactive = false, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        environment ??= Environment.GetEnvironmentVariable;
        bool debug = environment("DDNN_DEBUG") is "1" or "true";

        var tokens = args.ToList();
        // --verbose may also precede the verb.
        while (tokens.Count > 0 && tokens[0] == "--verbose")
        {
            debug = true;
            tokens.RemoveAt(0);
        }
        if (tokens.Count == 0)
        {
            error.Write(TopLevelHelp());
            return ExitUsage;
        }
        if (tokens[0] is "--help" or "-h" or "help")
        {
            if (tokens.Count > 1 && tokens[0] == "help" && FindVerb(tokens[1]) is { } helpVerb)
            {
                output.Write(VerbHelp(helpVerb));
                return ExitSuccess;
            }
            output.Write(TopLevelHelp());
            return ExitSuccess;
        }

        var verb = FindVerb(tokens[0]);
        if (verb is null)
        {
            string what = tokens[0].StartsWith('-') ? $"unknown option '{tokens[0]}' before the verb" : $"unknown verb '{tokens[0]}'";
            error.WriteLine($"{_program}: {what} (run '{_program} --help' for the list of verbs)");
            return ExitUsage;
        }
        var verbTokens = tokens.Skip(1).ToList();
        if (verbTokens.Contains("--help") || verbTokens.Contains("-h"))
        {
            output.Write(VerbHelp(verb));
            return ExitSuccess;
        }

        string prefix = $"{_program} {verb.Name}";
        CliArguments arguments;
        try
        {
            var all = verb.Options.Append(VerboseOption).ToList();
            arguments = CliParser.Parse(all, verbTokens, RetiredFor(all));
            debug |= arguments.GetFlag(VerboseOption.Name);
        }
        catch (CliUsageException e)
        {
            error.WriteLine($"{prefix}: {e.Message} (see '{prefix} --help')");
            return ExitUsage;
        }

        try
        {
            return verb.Run(arguments, new CliContext(output, error, cancellation, debug, interactive));
        }
        catch (CliUsageException e)
        {
            error.WriteLine($"{prefix}: {e.Message} (see '{prefix} --help')");
            return ExitUsage;
        }
        catch (OperationCanceledException e)
        {
            error.WriteLine($"{prefix}: cancelled");
            if (debug)
                error.WriteLine(e);
            return ExitCancelled;
        }
        catch (Exception e)
        {
            error.WriteLine($"{prefix}: {DescribeError(e)}");
            if (debug)
                error.WriteLine(e);
            return ExitFailure;
        }
    }

    /// <summary>A retired name applies to the verbs that took it: those that declare its replacement and not the name itself.</summary>
    private List<RetiredOption> RetiredFor(IReadOnlyList<CliOption> options) =>
        _retired.Where(r => options.Any(o => o.Name == r.Replacement) && options.All(o => o.Name != r.Name)).ToList();

    public ICliVerb? FindVerb(string name) => _verbs.FirstOrDefault(v => string.Equals(v.Name, name, StringComparison.Ordinal));

    public string TopLevelHelp()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{_program} - {_description}");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Usage: {_program} <verb> [options]      ({_program} <verb> --help for its options)");
        text.AppendLine();
        text.AppendLine("Verbs:");
        int width = _verbs.Count == 0 ? 0 : _verbs.Max(v => v.Name.Length);
        foreach (var verb in _verbs)
            text.AppendLine(CultureInfo.InvariantCulture, $"  {verb.Name.PadRight(width)}  {verb.Summary}");
        text.AppendLine();
        text.AppendLine("Every verb accepts --help and --verbose (full error details; also DDNN_DEBUG=1).");
        return text.ToString();
    }

    public string VerbHelp(ICliVerb verb)
    {
        ArgumentNullException.ThrowIfNull(verb);
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{_program} {verb.Name} - {verb.Summary}");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Usage: {_program} {verb.Name} [options]");
        text.AppendLine();
        text.AppendLine("Options:");
        var options = verb.Options.Append(VerboseOption).ToList();
        var left = options.Select(o => $"--{o.Name}" + (o.Kind == OptionKind.Flag ? "" : " " + o.Placeholder)).Append("--help").ToList();
        int width = left.Max(l => l.Length);
        for (int i = 0; i < options.Count; i++)
        {
            var option = options[i];
            string defaultText = option.Kind == OptionKind.Flag || option.DefaultValue is null ? "" : $" (default: {option.DefaultValue})";
            text.AppendLine(CultureInfo.InvariantCulture, $"  {left[i].PadRight(width)}  {option.Help}{defaultText}");
        }
        text.AppendLine(CultureInfo.InvariantCulture, $"  {"--help".PadRight(width)}  show this help");
        return text.ToString();
    }

    /// <summary>The one-line text shown for a failure: the message (without ArgumentException's parameter suffix), or type and message for unexpected exception types.</summary>
    public static string DescribeError(Exception e) => e switch
    {
        ArgumentException { ParamName: { } name } argument => argument.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal),
        ArgumentException or InvalidDataException or IOException or UnauthorizedAccessException
            or InvalidOperationException or NotSupportedException or FormatException => e.Message,
        _ => $"{e.GetType().Name}: {e.Message} (rerun with --verbose for details)",
    };
}
