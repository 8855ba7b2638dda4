using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using Ddnn.Core.Deploy;

namespace Ddnn.Bench.Serving;

/// <summary>
/// Runs a tier's partition on placeholder inputs before the tier announces itself, until the JIT has compiled its hot
/// code. Without it the first few dozen samples run unoptimized code and wait for the runtime's tiering: a cloud that
/// sees one sample in seven answered its first ten in 15–35 ms instead of 6–9 ms. The placeholder runs touch no sample
/// state and send nothing.
/// </summary>
public static class CodeWarmUp
{
    /// <summary>Runs per round: past the runtime's call-count threshold (30) for promoting a method.</summary>
    private const int RunsPerRound = 32;

    /// <summary>Pause after each round: past the runtime's tiering delay (100 ms), so counting and background compiles go on.</summary>
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(120);

    /// <summary>Rounds in a row that compile no new method before the code counts as warm.</summary>
    private const int QuietRounds = 2;

    /// <summary>What a warm-up did: placeholder runs, time taken, and whether the JIT went quiet within the budget.</summary>
    public readonly record struct Outcome(int Runs, TimeSpan Elapsed, bool Settled)
    {
        public override string ToString() => Settled
            ? string.Create(CultureInfo.InvariantCulture, $"code warmed up in {Elapsed.TotalSeconds:0.0} s ({Runs} placeholder runs)")
            : string.Create(CultureInfo.InvariantCulture, $"code warm-up stopped at its budget, {Elapsed.TotalSeconds:0.0} s ({Runs} placeholder runs), with the JIT still compiling");
    }

    /// <summary>
    /// Calls <paramref name="run"/> in rounds until <see cref="QuietRounds"/> rounds in a row compile no new method
    /// (counted over the whole process by <see cref="System.Runtime.JitInfo"/>), or <paramref name="budget"/> is spent.
    /// A zero budget does nothing.
    /// </summary>
    public static Outcome Run(Action run, TimeSpan budget, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        var clock = Stopwatch.StartNew();
        if (budget <= TimeSpan.Zero) return new Outcome(0, TimeSpan.Zero, false);
        var runs = 0;
        var quiet = 0;
        var compiled = JitInfo.GetCompiledMethodCount();
        while (clock.Elapsed < budget && !cancellation.IsCancellationRequested)
        {
            for (var i = 0; i < RunsPerRound; i++) run();
            runs += RunsPerRound;
            cancellation.WaitHandle.WaitOne(Pause);
            var now = JitInfo.GetCompiledMethodCount();
            quiet = now == compiled ? quiet + 1 : 0;
            compiled = now;
            if (quiet == QuietRounds) return new Outcome(runs, clock.Elapsed, true);
        }
        return new Outcome(runs, clock.Elapsed, false);
    }

    /// <summary>
    /// One placeholder run of partition <paramref name="id"/> of <paramref name="model"/>: a device on a zero view, an
    /// edge or the cloud with every input present and all-minus maps, the local aggregator with every device's
    /// scores at zero. Call it only while no tier is running the same partition (a partition serves one call at a time).
    /// </summary>
    public static Action PlaceholderRun(DeployedModel model, PartitionId id)
    {
        ArgumentNullException.ThrowIfNull(model);
        var logits = new float[model.Config.Classes];
        switch (id.Kind)
        {
            case PartitionKind.Device:
                var device = model.Devices[id.Index];
                var view = new float[device.InputLength];
                return () => device.Run(view, logits);
            case PartitionKind.Local when model.Local is { } local:
                var scores = Enumerable.Range(0, model.Devices.Length).Select(_ => new float[model.Config.Classes]).ToArray();
                return () => local.Run(scores, logits);
            case PartitionKind.Local:
                return () => { };
            default:
                var fusion = id.Kind == PartitionKind.Edge ? model.Edges[id.Index] : model.Cloud;
                var maps = Enumerable.Range(0, fusion.InputChannels.Length).Select(i => new ulong[fusion.InputWords(i)]).ToArray();
                return () => fusion.Run(maps, logits);
        }
    }
}
