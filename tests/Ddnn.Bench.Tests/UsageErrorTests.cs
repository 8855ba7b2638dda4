using Ddnn.TestSupport;
namespace Ddnn.Bench.Tests;

/// <summary>Command lines that cannot run: one line on stderr naming what was wrong, exit code 2 (usage) or 1 (failure), nothing on stdout.</summary>
public class UsageErrorTests
{
    private const int Usage = 2;
    private const int Failure = 1;

    private static string Fails(int code, params string[] args)
    {
        var result = DdnnCli.Run(args);
        Assert.True(result.Code == code, result.ToString());
        var line = result.SingleErrorLine();
        Assert.Equal("", result.Out);
        Assert.DoesNotContain("   at ", result.Err);   // no stack trace without --verbose
        return line;
    }

    [Fact]
    public void Unknown_verb_is_named()
    {
        var line = Fails(Usage, "frobnicate", "--epochs", "3");
        Assert.Equal("ddnn: unknown verb 'frobnicate' (run 'ddnn --help' for the list of verbs)", line);
    }

    [Fact]
    public void Unknown_option_before_the_verb_is_named() =>
        Assert.Contains("unknown option '--bogus' before the verb", Fails(Usage, "--bogus", "train"));

    [Theory]
    [MemberData(nameof(HelpTests.VerbNames), MemberType = typeof(HelpTests))]
    public void Unknown_option_of_every_verb_is_named(string verb)
    {
        var line = Fails(Usage, verb, "--no-such-option", "1");
        Assert.Equal($"ddnn {verb}: unknown option '--no-such-option' (see 'ddnn {verb} --help')", line);
    }

    [Fact]
    public void Stray_positional_argument_is_named() =>
        Assert.Contains("unexpected argument 'extra'", Fails(Usage, "data", "extra"));

    [Fact]
    public void Repeated_option_is_named() =>
        Assert.Contains("--data-seed given more than once", Fails(Usage, "data", "--data-seed", "1", "--data-seed", "2"));

    [Theory]
    [InlineData("--out", "train")]
    [InlineData("--model", "eval")]
    [InlineData("--model", "sweep")]
    [InlineData("--model", "calibrate")]
    [InlineData("--model", "export", "--out", "x")]
    [InlineData("--out", "export", "--model", "x")]
    [InlineData("--model", "infer")]
    public void Missing_required_option_is_named(string option, params string[] args)
    {
        var line = Fails(Usage, args);
        Assert.Contains(option, line);
        Assert.True(line.Contains("required") || line.Contains("needs"), line);
    }

    [Theory]
    [InlineData("--epochs", "train", "--out", "never-created", "--epochs", "-1")]
    [InlineData("--epochs", "train", "--out", "never-created", "--epochs", "0")]
    [InlineData("--threads", "eval", "--threads", "abc")]
    [InlineData("--threads", "train", "--out", "never-created", "--threads", "0")]
    [InlineData("--train-samples", "data", "--train-samples", "2.5")]
    [InlineData("--lr", "train", "--out", "never-created", "--lr", "fast")]
    [InlineData("--split", "infer", "--split", "holdout")]
    [InlineData("--dropout", "train", "--out", "never-created", "--dropout", "1.5")]
    public void Bad_option_values_are_named(string option, params string[] args)
    {
        var line = Fails(Usage, args);
        Assert.Contains(option, line);
        Assert.Contains("expects", line);
        Assert.False(Directory.Exists("never-created"));
    }

    [Fact]
    public void Unknown_dataset_source_is_named()
    {
        var line = Fails(Usage, "data", "--dataset", "imagenet");
        Assert.Contains("--dataset 'imagenet'", line);
        Assert.Contains("synthetic", line);   // the message lists what is accepted
    }

    [Theory]
    [InlineData("fmnist:", "Fashion-MNIST directory not found")]
    [InlineData("mvmc:", "MVMC file not found")]
    public void Missing_data_path_is_named(string prefix, string message)
    {
        var path = Path.Combine(Path.GetTempPath(), "ddnn-no-such-data-" + Guid.NewGuid().ToString("N"));
        var line = Fails(Failure, "data", "--dataset", prefix + path);
        Assert.Contains(message, line);
        Assert.Contains(path, line);
    }

    [Theory]
    [InlineData("drop:abc")]
    [InlineData("bytes:-5")]
    [InlineData("drop")]
    [InlineData("latency:3")]
    [InlineData("")]
    public void Bad_target_is_rejected_before_anything_is_written(string target)
    {
        using var temp = new TempDirectory();
        var outDir = temp.Combine("run");
        var line = Fails(Usage, "train", "--out", outDir, "--target", target);
        Assert.StartsWith("ddnn train: --target ", line);
        Assert.Contains("drop:", line);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void Bad_target_is_rejected_by_calibrate_before_the_model_is_read() =>
        Assert.Contains("--target 'drop:x'", Fails(Usage, "calibrate", "--model", "missing.ddnn", "--target", "drop:x"));

    [Fact]
    public void Missing_model_file_is_named()
    {
        var path = Path.Combine(Path.GetTempPath(), "ddnn-no-such-model-" + Guid.NewGuid().ToString("N") + ".ddnn");
        Assert.Contains($"--model '{path}': no such file", Fails(Usage, "calibrate", "--model", path));
        Assert.Contains($"--model '{path}': no such file", Fails(Usage, "sweep", "--model", path));
        Assert.Contains($"--model '{path}': no such file", Fails(Usage, "eval", "--model", path));
        foreach (var line in new[] { Fails(Usage, "export", "--model", path, "--out", Path.GetTempPath()), Fails(Usage, "infer", "--model", path) })
            Assert.Equal(1, line.Split(path).Length - 1); // named once, not once by the verb and again by the reader
    }

    [Fact]
    public void A_damaged_deploy_file_is_named_once()
    {
        using var temp = new TempDirectory();
        var path = Path.Combine(temp.Path, "model.ddnnp");
        File.WriteAllBytes(path, [.. "DDNNFILE"u8, 1, 0, 0]);
        var line = Fails(Usage, "infer", "--model", path);
        Assert.Equal(1, line.Split(path).Length - 1);
        Assert.Contains("cannot load", line);
    }

    [Fact]
    public void Resume_without_a_checkpoint_is_refused()
    {
        using var temp = new TempDirectory();
        Assert.Contains("--resume: no checkpoint", Fails(Usage, "train", "--out", temp.Path, "--resume"));
    }
}
