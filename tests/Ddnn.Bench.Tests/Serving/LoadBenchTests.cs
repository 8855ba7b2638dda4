using Ddnn.Bench.Plots;
using Ddnn.Bench.Serving;
using Ddnn.Core.Serving;

namespace Ddnn.Bench.Tests.Serving;

/// <summary>The pure parts of <c>ddnn bench serve</c>: the knee, the ladder's id layout, what saturates, CPU parsing, shared-broker access.</summary>
public sealed class LoadBenchTests(ServedModels models) : IClassFixture<ServedModels>
{
    private static LoadStepOutcome Good(double rate) => new(rate, 0, 5);

    [Fact]
    public void The_knee_is_the_last_step_below_the_first_that_breaks_a_limit()
    {
        // Unanswered samples break it.
        Assert.Equal(new LoadKnee(1, true), LoadKnee.Find([Good(100), Good(200), new(400, 3, 5), Good(800)]));
        // p99 above 20 ms breaks it; a step that keeps the limits again above the break does not count.
        Assert.Equal(new LoadKnee(0, true), LoadKnee.Find([Good(100), new(200, 0, 20.5), Good(400)]));
        // Exactly 20 ms keeps the limit.
        Assert.Equal(new LoadKnee(1, false), LoadKnee.Find([Good(100), new(200, 0, 20)]));
        // No answer at all (p99 NaN) breaks it, even with no unanswered count.
        Assert.Equal(new LoadKnee(0, true), LoadKnee.Find([Good(100), new(200, 0, double.NaN)]));
    }

    [Fact]
    public void A_ladder_that_breaks_at_once_has_no_knee_and_one_that_never_breaks_is_only_a_lower_bound()
    {
        Assert.Equal(new LoadKnee(null, true), LoadKnee.Find([new(100, 1, 5), Good(200)]));
        Assert.Equal(new LoadKnee(2, false), LoadKnee.Find([Good(100), Good(200), Good(300)]));
        Assert.Equal(new LoadKnee(null, false), LoadKnee.Find([]));
        Assert.Throws<ArgumentException>(() => LoadKnee.Find([Good(200), Good(100)]));
    }

    [Fact]
    public void The_ladder_gives_each_step_its_ids_and_its_start()
    {
        var ladder = new LoadLadder([10, 25.5, 100], stepSeconds: 2, gapSeconds: 0.5, firstId: 40);
        Assert.Equal([20L, 51, 200], Enumerable.Range(0, 3).Select(ladder.SamplesOf));
        Assert.Equal([40u, 60, 111], Enumerable.Range(0, 3).Select(ladder.FirstIdOf));
        Assert.Equal([0, 2.5, 5], Enumerable.Range(0, 3).Select(i => ladder.StartOf(i)));
        // A phase of one quarter starts each step a quarter of its tick interval (1/rate) late.
        Assert.Equal([0.025, 2.5 + 0.25 / 25.5, 5.0025], Enumerable.Range(0, 3).Select(i => ladder.StartOf(i, 0.25)));
        Assert.Throws<ArgumentOutOfRangeException>(() => ladder.StartOf(0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ladder.StartOf(0, double.NaN));
        Assert.Equal(-1, ladder.StepOf(39));
        Assert.Equal(0, ladder.StepOf(59));
        Assert.Equal(1, ladder.StepOf(60));
        Assert.Equal(2, ladder.StepOf(310));
        Assert.Equal(-1, ladder.StepOf(311));
        Assert.Equal([1.5, 3], LoadLadder.ParseRates("1.5, 3"));
        Assert.Contains("must rise", Assert.Throws<FormatException>(() => LoadLadder.ParseRates("3,2")).Message, StringComparison.Ordinal);
        Assert.Contains("'x' is not a rate", Assert.Throws<FormatException>(() => LoadLadder.ParseRates("1,x")).Message, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => LoadLadder.ParseRates("0"));
    }

    [Fact]
    public void What_saturates_first_is_the_broker_then_the_cores_then_the_clients()
    {
        static ServeLoadStep Step(double? broker, double? machine) => new()
        {
            Broker = "mosquitto", Deployments = 4, OfferedRate = 100, Offered = 400, AnsweredPerSecond = 100, P50Ms = 1, P99Ms = 30,
            Unanswered = 0, Degraded = 0, BrokerCpu = broker, MachineCpu = machine, ClientsCpu = 1,
        };
        Assert.StartsWith("broker", ServeLoadReport.Saturation(Step(0.95, 1.0)), StringComparison.Ordinal);
        Assert.StartsWith("cores", ServeLoadReport.Saturation(Step(0.5, 0.92)), StringComparison.Ordinal);
        Assert.StartsWith("clients", ServeLoadReport.Saturation(Step(0.5, 0.6)), StringComparison.Ordinal);

        // The knee table takes the step above the knee for that column, and marks a knee the ladder never passed.
        var steps = new[] { Step(0.2, 0.3) with { P99Ms = 5, OfferedRate = 50 }, Step(0.95, 0.97) with { OfferedRate = 100 } }
            .Concat([Step(0.1, 0.2) with { Broker = "embedded", P99Ms = 3, OfferedRate = 50 }]).ToList();
        var table = ServeLoadReport.KneeTable(steps).ToMarkdown();
        Assert.Contains("| mosquitto | 4 | 50 |", table, StringComparison.Ordinal);
        Assert.Contains("broker (", table, StringComparison.Ordinal);
        Assert.Contains("| embedded | 4 | ≥ 50 |", table, StringComparison.Ordinal);
        Assert.Contains("nothing within the ladder", table, StringComparison.Ordinal);
        // The last column: no step lost a sample, so both ladders are lossless up to their top.
        Assert.Contains("| ≥ 100 |", table, StringComparison.Ordinal);
        Assert.Contains("| ≥ 50 |", table, StringComparison.Ordinal);
        var plot = ServeLoadReport.P99Plot(steps);
        Assert.Equal(3, plot.Series.Count);
        Assert.True(plot.LogX && plot.LogY);
        // A step without a positive p99 cannot sit on the log axis: it is left out, not an error at the end of a run.
        Assert.Single(ServeLoadReport.P99Plot([.. steps, Step(0.2, 0.3) with { Broker = "embedded", P99Ms = 0, OfferedRate = 100 }]).Series[1].X);
        var png = new PlotWriter().Render(plot);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
    }

    [Fact]
    public void Cpu_times_are_read_from_proc_lines()
    {
        // A command name with spaces and parentheses: fields count from the last ')'.
        Assert.Equal(1234L + 56, CpuClock.ParseProcessStat("42 (my (odd) name) S 1 42 42 0 -1 4194560 100 0 0 0 1234 56 0 0 20 0 1 0 99 0 0"));
        Assert.Null(CpuClock.ParseProcessStat("42 (x) S 1"));
        Assert.Equal((1000L + 10 + 300 + 5 + 6 + 7, 1000L + 10 + 300 + 5000 + 50 + 5 + 6 + 7), CpuClock.ParseMachineStat("cpu  1000 10 300 5000 50 5 6 7 0 0"));
        Assert.Null(CpuClock.ParseMachineStat("cpu0 1 2 3 4 5 6 7 8"));
        Assert.NotNull(CpuClock.MachineSeconds());
        Assert.True(CpuClock.ProcessSeconds(Environment.ProcessId) > 0);
    }

    [Fact]
    public void Each_deployment_on_a_shared_broker_has_its_own_users_and_rules()
    {
        var model = Ddnn.Core.Deploy.DeployedModelLoader.Load(models.Plain);
        var access = new SharedBrokerAccess(new[] { "a", "b" }.Select(n => AccessControlList.For(new TopicScheme(n), model)));
        Assert.True(access.MayPublish("a-dev2", "ddnn/a/to/local/dev2"));
        Assert.False(access.MayPublish("a-dev2", "ddnn/a/to/local/dev3"));
        Assert.False(access.MayPublish("a-dev2", "ddnn/b/to/local/dev2"));
        Assert.False(access.MayPublish("dev2", "ddnn/a/to/local/dev2"));
        Assert.True(access.MayRead("b-local", "ddnn/b/to/local/dev0"));
        Assert.False(access.MayRead("b-local", "ddnn/a/to/local/dev0"));
        Assert.False(access.MaySubscribe("a-dev0", "ddnn/b/tick"));
        var acl = access.ToMosquittoAcl();
        Assert.Contains("user a-dev2\n", acl, StringComparison.Ordinal);
        Assert.Contains("user b-cloud\n", acl, StringComparison.Ordinal);
        Assert.DoesNotContain("user dev2\n", acl, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new SharedBrokerAccess(new[] { "a", "a" }.Select(n => AccessControlList.For(new TopicScheme(n), model))));
    }
}
