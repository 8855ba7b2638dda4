using Ddnn.Bench.Cli;

namespace Ddnn.Bench.Tests.Cli;

public class CliAppTests
{
    /// <summary>A verb that records what it received and can be told to throw.</summary>
    private sealed class RecordingVerb(Exception? toThrow = null) : ICliVerb
    {
        public string Name => "train";
        public string Summary => "train a model";
        public IReadOnlyList<CliOption> Options { get; } =
        [
            CliOption.Int("epochs", 10, "number of epochs", min: 1),
            CliOption.Float("lr", 1e-3, "learning rate", min: 0),
            CliOption.String("out", null, "output file", valueName: "path"),
            CliOption.Enum("scheme", "MP-CC", ["MP-CC", "AP-AP", "CC-CC"], "aggregation scheme"),
            CliOption.Flag("fast", "skip slow checks"),
            CliOption.Int("offset", 0, "signed offset"),
        ];

        public CliArguments? Received { get; private set; }
        public CliContext? Context { get; private set; }

        public int Run(CliArguments arguments, CliContext context)
        {
            Received = arguments;
            Context = context;
            if (toThrow is not null)
                throw toThrow;
            context.Out.WriteLine("ran");
            return 0;
        }
    }

    private static (int Code, string Out, string Err) Run(ICliVerb verb, params string[] args) => Run(verb, null, args);

    private static (int Code, string Out, string Err) Run(ICliVerb verb, Func<string, string?>? environment, params string[] args)
    {
        var app = new CliApp("ddnn", "test app", [verb]);
        var output = new StringWriter();
        var error = new StringWriter();
        int code = app.Run(args, output, error, environment: environment ?? (_ => null));
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void A_retired_name_gives_its_message_only_where_its_replacement_is_declared_and_it_is_not()
    {
        RetiredOption[] retired =
        [
            new("iterations", "epochs", "--iterations was renamed --epochs"),
            new("lr", "rate", "--lr was renamed --rate"),
            new("seed", "no-such-option", "--seed is something else"),
        ];
        var app = new CliApp("ddnn", "test app", [new RecordingVerb()], retired);
        string Error(params string[] args)
        {
            var error = new StringWriter();
            Assert.Equal(CliApp.ExitUsage, app.Run(args, new StringWriter(), error, environment: _ => null));
            return error.ToString().TrimEnd();
        }
        Assert.Equal("ddnn train: --iterations was renamed --epochs (see 'ddnn train --help')", Error("train", "--iterations", "3"));
        Assert.Equal("ddnn train: --iterations was renamed --epochs (see 'ddnn train --help')", Error("train", "--iterations=3"));
        Assert.Equal("ddnn train: unknown option '--seed' (see 'ddnn train --help')", Error("train", "--seed", "3"));
        var verb = new RecordingVerb();
        Assert.Equal(0, new CliApp("ddnn", "test app", [verb], retired).Run(["train", "--lr", "0.5"], new StringWriter(), new StringWriter()));
        Assert.Equal(0.5, verb.Received!.GetFloat("lr"));
    }

    [Fact]
    public void Defaults_are_filled_in_and_values_parse_in_both_syntaxes()
    {
        var verb = new RecordingVerb();
        var (code, output, error) = Run(verb, "train", "--epochs", "3", "--lr=0.5", "--scheme", "ap-ap", "--fast", "--offset", "-4");
        Assert.Equal(0, code);
        Assert.Equal("", error);
        Assert.Contains("ran", output);
        var a = verb.Received!;
        Assert.Equal(3, a.GetInt("epochs"));
        Assert.Equal(0.5, a.GetFloat("lr"));
        Assert.Equal("AP-AP", a.GetEnum("scheme"));
        Assert.True(a.GetFlag("fast"));
        Assert.Equal(-4, a.GetInt("offset"));
        Assert.Null(a.GetOptionalString("out"));
        Assert.True(a.IsSet("epochs"));
        Assert.False(a.IsSet("out"));
        Assert.False(a.GetFlag("verbose"));

        Run(verb, "train");
        Assert.Equal(10, verb.Received!.GetInt("epochs"));
        Assert.Equal(0.001, verb.Received.GetFloat("lr"));
        Assert.Equal("MP-CC", verb.Received.GetEnum("scheme"));
        Assert.False(verb.Received.GetFlag("fast"));
        Assert.False(verb.Received.IsSet("epochs"));

        Run(verb, "train", "--out=/tmp/a=b", "--fast=false");
        Assert.Equal("/tmp/a=b", verb.Received!.GetString("out"));
        Assert.False(verb.Received.GetFlag("fast"));
    }

    [Theory]
    [InlineData("--epochs abc", "ddnn train: --epochs expects a positive integer, got 'abc'")]
    [InlineData("--epochs 0", "ddnn train: --epochs expects a positive integer, got '0'")]
    [InlineData("--epochs=2.5", "ddnn train: --epochs expects a positive integer, got '2.5'")]
    [InlineData("--lr -1", "ddnn train: --lr expects a non-negative number, got '-1'")]
    [InlineData("--lr NaN", "ddnn train: --lr expects a non-negative number, got 'NaN'")]
    [InlineData("--scheme XX-YY", "ddnn train: --scheme expects one of MP-CC|AP-AP|CC-CC, got 'XX-YY'")]
    [InlineData("--fast=maybe", "ddnn train: --fast expects true or false, got 'maybe'")]
    [InlineData("--out=", "ddnn train: --out expects a path, got ''")]
    [InlineData("--offset x", "ddnn train: --offset expects an integer, got 'x'")]
    [InlineData("--epochs", "ddnn train: --epochs expects a positive integer but no value was given")]
    [InlineData("--epochs --fast", "ddnn train: --epochs expects a positive integer but no value was given")]
    [InlineData("--bogus 1", "ddnn train: unknown option '--bogus'")]
    [InlineData("--epochs 2 --epochs 3", "ddnn train: --epochs given more than once")]
    [InlineData("extra", "ddnn train: unexpected argument 'extra'")]
    [InlineData("-x", "ddnn train: unexpected argument '-x'")]
    public void Usage_errors_are_one_line_naming_option_and_value_with_exit_code_2(string line, string expected)
    {
        var verb = new RecordingVerb();
        var (code, output, error) = Run(verb, ["train", .. line.Split(' ')]);
        Assert.Equal(CliApp.ExitUsage, code);
        Assert.Equal("", output);
        Assert.StartsWith(expected, error);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
        Assert.Null(verb.Received);
    }

    [Fact]
    public void Unknown_verb_and_empty_command_line_are_usage_errors()
    {
        var (code, _, error) = Run(new RecordingVerb(), "frobnicate");
        Assert.Equal(2, code);
        Assert.Equal("ddnn: unknown verb 'frobnicate' (run 'ddnn --help' for the list of verbs)", error.TrimEnd());
        (code, _, error) = Run(new RecordingVerb(), "--epochs", "3");
        Assert.Equal(2, code);
        Assert.Contains("unknown option '--epochs' before the verb", error);
        (code, _, error) = Run(new RecordingVerb());
        Assert.Equal(2, code);
        Assert.Contains("Usage: ddnn <verb>", error);
    }

    [Fact]
    public void Help_at_top_level_lists_verbs()
    {
        foreach (string flag in new[] { "--help", "-h", "help" })
        {
            var (code, output, error) = Run(new RecordingVerb(), flag);
            Assert.Equal(0, code);
            Assert.Equal("", error);
            Assert.Contains("Verbs:", output);
            Assert.Contains("train  train a model", output);
        }
    }

    [Fact]
    public void Help_on_a_verb_lists_options_with_kinds_and_defaults()
    {
        var verb = new RecordingVerb();
        foreach (var args in new[] { new[] { "train", "--help" }, new[] { "train", "--epochs", "3", "-h" }, new[] { "help", "train" } })
        {
            var (code, output, _) = Run(verb, args);
            Assert.Equal(0, code);
            Assert.Contains("ddnn train - train a model", output);
            Assert.Contains("--epochs <int>", output);
            Assert.Contains("number of epochs (default: 10)", output);
            Assert.Contains("--scheme <MP-CC|AP-AP|CC-CC>", output);
            Assert.Contains("--out <path>", output);
            Assert.Contains("--verbose", output);
            Assert.Contains("--help", output);
        }
        Assert.Null(verb.Received);
    }

    [Theory]
    [InlineData(typeof(InvalidDataException), "/data/x.gz: wrong magic number")]
    [InlineData(typeof(FileNotFoundException), "model file not found: m.ddnn")]
    [InlineData(typeof(ArgumentException), "batch must be positive")]
    [InlineData(typeof(InvalidOperationException), "model has no cloud exit")]
    public void Verb_failures_are_one_line_without_stack_trace_and_exit_1(Type type, string message)
    {
        var exception = (Exception)Activator.CreateInstance(type, message)!;
        var (code, _, error) = Run(new RecordingVerb(exception), "train");
        Assert.Equal(CliApp.ExitFailure, code);
        Assert.Equal($"ddnn train: {message}", error.TrimEnd());
    }

    [Fact]
    public void Argument_exception_parameter_suffix_is_dropped()
    {
        var (_, _, error) = Run(new RecordingVerb(new ArgumentOutOfRangeException("count", "count must be >= 0")), "train");
        Assert.Equal("ddnn train: count must be >= 0", error.TrimEnd());
    }

    [Fact]
    public void Unexpected_exceptions_name_their_type_and_hint_at_verbose()
    {
        var (code, _, error) = Run(new RecordingVerb(new NullReferenceException("boom")), "train");
        Assert.Equal(1, code);
        Assert.Equal("ddnn train: NullReferenceException: boom (rerun with --verbose for details)", error.TrimEnd());
    }

    [Fact]
    public void Verbose_or_DDNN_DEBUG_adds_the_stack_trace()
    {
        var verb = new RecordingVerb(new InvalidDataException("bad file"));
        var (_, _, quiet) = Run(verb, "train");
        Assert.DoesNotContain(" at ", quiet);
        var (code, _, verbose) = Run(verb, "train", "--verbose");
        Assert.Equal(1, code);
        Assert.Contains("System.IO.InvalidDataException: bad file", verbose);
        Assert.True(verb.Context!.Verbose);
        var (_, _, before) = Run(verb, "--verbose", "train");
        Assert.Contains("System.IO.InvalidDataException", before);
        var (_, _, debug) = Run(verb, name => name == "DDNN_DEBUG" ? "1" : null, "train");
        Assert.Contains("System.IO.InvalidDataException", debug);
    }

    [Fact]
    public void Cancellation_reaches_the_verb_and_gives_exit_130()
    {
        var verb = new RecordingVerb(new OperationCanceledException());
        var (code, _, error) = Run(verb, "train");
        Assert.Equal(CliApp.ExitCancelled, code);
        Assert.Equal("ddnn train: cancelled", error.TrimEnd());

        using var source = new CancellationTokenSource();
        source.Cancel();
        var ok = new RecordingVerb();
        new CliApp("ddnn", "test", [ok]).Run(["train"], TextWriter.Null, TextWriter.Null, source.Token, environment: _ => null);
        Assert.True(ok.Context!.Cancellation.IsCancellationRequested);
    }

    [Fact]
    public void Late_usage_errors_from_a_verb_exit_2()
    {
        var verb = new RecordingVerb(CliUsageException.BadValue("dataset", "foo", "unknown dataset 'foo'"));
        var (code, _, error) = Run(verb, "train");
        Assert.Equal(2, code);
        Assert.StartsWith("ddnn train: --dataset 'foo': unknown dataset 'foo'", error);
    }

    [Fact]
    public void Registration_rejects_duplicates_and_bad_declarations()
    {
        Assert.Throws<ArgumentException>(() => new CliApp("ddnn", "x", [new RecordingVerb(), new RecordingVerb()]));
        Assert.Throws<ArgumentException>(() => CliOption.Int("--epochs", 1, "x"));
        Assert.Throws<ArgumentException>(() => CliOption.Int("epochs", 0, "x", min: 1));
        Assert.Throws<ArgumentException>(() => CliOption.Enum("scheme", "ZZ", ["A", "B"], "x"));
        Assert.Throws<ArgumentException>(() => CliOption.Float("lr", 2, "x", min: 0, max: 1));
    }

    [Fact]
    public void Reading_an_undeclared_or_mistyped_option_is_a_programming_error()
    {
        var verb = new RecordingVerb();
        Run(verb, "train");
        Assert.Throws<InvalidOperationException>(() => verb.Received!.GetInt("nope"));
        Assert.Throws<InvalidOperationException>(() => verb.Received!.GetString("epochs"));
        Assert.Throws<InvalidOperationException>(() => verb.Received!.GetString("out"));
    }

    [Fact]
    public void Int_range_expectation_is_spelled_out()
    {
        var option = CliOption.Int("devices", 6, "devices", min: 1, max: 6);
        Assert.Equal("an integer in 1..6", option.Expectation);
        Assert.True(option.TryParse("6", out object six));
        Assert.Equal(6, six);
        Assert.False(option.TryParse("7", out _));
        Assert.Equal("a number in [0, 1]", CliOption.Float("t", 0.5, "threshold", 0, 1).Expectation);
    }
}
