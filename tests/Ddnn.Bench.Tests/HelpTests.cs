using Ddnn.Bench.Cli;

namespace Ddnn.Bench.Tests;

public class HelpTests
{
    public static TheoryData<string> VerbNames()
    {
        var data = new TheoryData<string>();
        foreach (var verb in VerbRegistry.All()) data.Add(verb.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(VerbNames))]
    public void Verb_help_lists_every_option_and_succeeds(string name)
    {
        var verb = VerbRegistry.All().Single(v => v.Name == name);
        foreach (var args in new[] { new[] { name, "--help" }, [name, "-h"], ["help", name], [name, "--epochs", "-5", "--help"] })
        {
            var result = DdnnCli.Run(args);
            Assert.True(result.Code == 0, result.ToString());
            Assert.Equal("", result.Err);
            Assert.StartsWith($"ddnn {name} - {verb.Summary}", result.Out);
            Assert.Contains($"Usage: ddnn {name} [options]", result.Out);
            foreach (var option in verb.Options) Assert.Contains($"  --{option.Name}", result.Out);
            Assert.Contains("--verbose", result.Out);
        }
    }

    [Fact]
    public void Top_level_help_lists_every_verb()
    {
        var result = DdnnCli.Run("--help");
        Assert.Equal(0, result.Code);
        foreach (var verb in VerbRegistry.All()) Assert.Contains($"  {verb.Name} ", result.Out);
        Assert.Equal("", result.Err);
    }

    [Fact]
    public void No_arguments_prints_help_on_stderr_and_fails()
    {
        var result = DdnnCli.Run();
        Assert.Equal(2, result.Code);
        Assert.Equal("", result.Out);
        Assert.Contains("Usage: ddnn <verb>", result.Err);
    }
}
