using System.Globalization;
using System.Text.RegularExpressions;

namespace Ddnn.Bench.Tests;

public class DataVerbTests
{
    private static string[] Cells(string line) => Regex.Split(line.Trim(), @"\s{2,}");

    [Fact]
    public void Data_prints_the_summary_class_counts_and_visibility()
    {
        var result = DdnnCli.Succeed("data", "--train-samples", "10", "--validation-samples", "5", "--test-samples", "0", "--data-seed", "4");
        Assert.Equal("", result.Err);

        var summary = DdnnCli.TableAfter(result.Out, "data set synthetic").Skip(2).ToDictionary(l => Cells(l)[0], l => Cells(l)[1]);
        Assert.Equal("6", summary["views (devices)"]);
        Assert.Equal("3x32x32 float32", summary["view shape"]);
        Assert.Equal("3: car, bus, person", summary["classes"]);

        var counts = DdnnCli.TableAfter(result.Out, "samples per class");
        Assert.Equal(["split", "samples", "car", "bus", "person"], Cells(counts[0]));
        var expected = new Dictionary<string, int> { ["train"] = 10, ["validation"] = 5, ["test"] = 0 };
        foreach (var row in counts[2..].Select(Cells))
        {
            var total = int.Parse(row[1], CultureInfo.InvariantCulture);
            Assert.Equal(expected[row[0]], total);
            Assert.Equal(total, row[2..].Sum(c => int.Parse(c, CultureInfo.InvariantCulture)));
        }

        var visible = DdnnCli.TableAfter(result.Out, "fraction of samples in which the object is visible");
        Assert.Equal(["split", "dev0", "dev1", "dev2", "dev3", "dev4", "dev5"], Cells(visible[0]));
        Assert.All(Cells(visible[2])[1..], f => Assert.InRange(double.Parse(f, CultureInfo.InvariantCulture), 0, 1));
        Assert.Equal(["test", "-", "-", "-", "-", "-", "-"], Cells(visible[4]));
    }

    [Fact]
    public void Data_is_reproducible_from_its_data_seed_and_capped_by_limit()
    {
        string[] args = ["data", "--train-samples", "12", "--validation-samples", "3", "--test-samples", "3", "--limit", "5"];
        var first = DdnnCli.Succeed([.. args, "--data-seed", "2"]);
        var second = DdnnCli.Succeed([.. args, "--data-seed", "2"]);
        var other = DdnnCli.Succeed([.. args, "--data-seed", "3"]);
        static string Counts(CliResult r) => string.Join('\n', DdnnCli.TableAfter(r.Out, "samples per class"));
        Assert.Equal(Counts(first), Counts(second));
        Assert.NotEqual(Counts(first) + string.Join('\n', DdnnCli.TableAfter(first.Out, "fraction of samples")),
            Counts(other) + string.Join('\n', DdnnCli.TableAfter(other.Out, "fraction of samples")));
        Assert.Equal("", first.Err);
        var samples = DdnnCli.TableAfter(first.Out, "samples per class")[2..].ToDictionary(l => Cells(l)[0], l => Cells(l)[1]);
        Assert.Equal(new Dictionary<string, string> { ["train"] = "5", ["validation"] = "3", ["test"] = "3" }, samples);
    }

    [Fact]
    public void Data_warns_about_synthetic_options_another_source_ignores()
    {
        var path = Path.Combine(Path.GetTempPath(), "ddnn-no-such-data-" + Guid.NewGuid().ToString("N"));
        var result = DdnnCli.Run("data", "--dataset", "fmnist:" + path, "--data-seed", "2");
        Assert.Equal(1, result.Code);
        Assert.StartsWith("note: --data-seed applies only to the synthetic data set; ignored for fmnist", result.Err);
    }
}
