using Ddnn.TestSupport;
namespace Ddnn.Bench.Tests;

/// <summary>
/// One tiny <c>ddnn train</c> run (synthetic data capped at 24 samples per split, one epoch, one thread) shared by the
/// tests of the verbs that read a run; its directory is deleted at the end.
/// </summary>
public sealed class TrainedRun : IDisposable
{
    /// <summary>The data options every verb reading this run gets, so they see the run's splits.</summary>
    public static readonly string[] DataArgs = ["--limit", "24", "--data-seed", "3"];

    /// <summary>Training options of the tiny run.</summary>
    public static readonly string[] TrainArgs = ["--epochs", "1", "--batch", "8", "--threads", "1", "--seed", "5"];

    private readonly TempDirectory _temp = new();

    public TrainedRun()
    {
        Directory = _temp.Combine("run");
        Result = DdnnCli.Run(["train", "--out", Directory, .. DataArgs, .. TrainArgs]);
    }

    public string Directory { get; }
    public CliResult Result { get; }
    public string ModelPath => Path.Combine(Directory, "model.ddnn");

    /// <summary>A fresh scratch path next to the run (not created).</summary>
    public string Scratch(string name) => _temp.Combine(name + "-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => _temp.Dispose();
}
