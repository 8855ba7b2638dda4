using Ddnn.Core.Deploy;

namespace Ddnn.Core.Serving;

/// <summary>
/// One of the cloud workers of a deployment with <see cref="TopicScheme.CloudWorkers"/> &gt; 0: it reads the
/// self-contained cloud requests (<see cref="WireMessageKind.CloudJob"/>: the bitmap of the cloud inputs, devices or
/// edges, and their maps) through the shared subscription <see cref="TopicScheme.SharedCloudJob"/>, so the broker hands
/// each to one worker; it runs the cloud partition on the maps of the job alone and answers the aggregator on
/// <c>to/local/cloud&lt;k&gt;</c>. It keeps no per-sample state but the ids it answered last (to drop a repeated job as
/// <see cref="DropReason.Duplicate"/>), so any worker can answer any job and a worker that goes away loses only the jobs
/// it held.
/// </summary>
public sealed class CloudWorkerTier : ServingTier
{
    private readonly FusionPartition _partition;
    private readonly (int Channels, int Height, int Width)[] _shapes;
    private readonly int[] _bodyBytes, _offsets;
    private readonly bool[] _present;
    private readonly ulong[][] _maps;
    private readonly ulong[]?[] _inputs;
    private readonly float[] _logits;
    private readonly string _answerTopic;
    private readonly string[] _subscriptions;
    private readonly NewestSample _newest;
    private readonly uint[] _answered;
    private readonly bool[] _answeredFilled;
    private int _answeredNext;

    /// <summary>Worker <paramref name="worker"/> (0 ≤ worker &lt; <see cref="TopicScheme.CloudWorkers"/>) of <paramref name="model"/>.</summary>
    public CloudWorkerTier(DeployedModel model, int worker, ModelFingerprint fingerprint, TopicScheme topics, IMessageTransport transport,
        IServingClock clock, FusionSettings? settings = null, Action<string>? log = null)
        : base(new PartitionId(PartitionKind.Cloud, CheckWorker(topics, worker)), model, fingerprint, topics, transport, clock, log)
    {
        Settings = settings ?? new FusionSettings();
        Settings.Validate();
        _partition = model.Cloud;
        _shapes = CloudTier.Shapes(model);
        _bodyBytes = CloudTier.InputBodyBytes(model);
        _offsets = new int[_shapes.Length];
        _present = new bool[_shapes.Length];
        _maps = [.. _shapes.Select(x => new ulong[x.Item2 * x.Item3 * Ddnn.Kernels.Binary.BitPacking.WordsFor(x.Item1)])];
        _inputs = new ulong[]?[_shapes.Length];
        _logits = new float[model.Config.Classes];
        _answerTopic = topics.To(new PartitionId(PartitionKind.Local), Id);
        _subscriptions = [topics.StatusFilter, topics.SharedCloudJob];
        _newest = new NewestSample(Settings.AheadWindow);
        _answered = new uint[Settings.MaxSamples];
        _answeredFilled = new bool[Settings.MaxSamples];
    }

    private static int CheckWorker(TopicScheme topics, int worker)
    {
        ArgumentNullException.ThrowIfNull(topics);
        if (!topics.HasCloudWorkers) throw new ArgumentException($"deployment '{topics.Deployment}' has no cloud workers; its one cloud is a {nameof(CloudTier)}.", nameof(topics));
        if (worker < 0 || worker >= topics.CloudWorkers) throw new ArgumentOutOfRangeException(nameof(worker), worker, $"the deployment has cloud workers 0..{topics.CloudWorkers - 1}.");
        return worker;
    }

    /// <summary>What it remembers (<see cref="FusionSettings.MaxSamples"/> answered ids) and how far back a job may be (<see cref="FusionSettings.BehindWindow"/>).</summary>
    public FusionSettings Settings { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<string> Subscriptions => _subscriptions;

    /// <inheritdoc/>
    public override double? NextDeadlineMs => null;

    /// <inheritdoc/>
    public override void OnTimer(double nowMs) { }

    /// <inheritdoc/>
    protected override bool Reads(in ParsedTopic topic) => topic.Kind == TopicKind.CloudJob;

    /// <inheritdoc/>
    protected override void OnRunChanged()
    {
        Array.Clear(_answeredFilled);
        _newest.Reset();
    }

    /// <inheritdoc/>
    protected override void OnData(TopicKind topic, PartitionId sender, WireHeader header, ReadOnlySpan<byte> wire)
    {
        // The size the bitmap implies first, then its contents (padding bits, at least one map, each map's padding):
        // a job that fails any of them is dropped whole, never run on part of its maps.
        var expected = WireMessage.CloudJobBytes(wire, _bodyBytes);
        if (expected < 0 || wire.Length != expected) { Drop(DropReason.BadSize); return; }
        WireMessage.ReadCloudJob(wire, _bodyBytes, _present, _offsets);
        for (var i = 0; i < _shapes.Length; i++)
        {
            _inputs[i] = null;
            if (!_present[i]) continue;
            var (c, h, w) = _shapes[i];
            WireMessage.ReadFeatureBody(wire.Slice(_offsets[i], _bodyBytes[i]), c, h, w, _maps[i]);
            _inputs[i] = _maps[i];
        }
        var sample = header.Sample;
        if (_newest.Value is { } newest && sample < newest && newest - sample > Settings.BehindWindow) { Drop(DropReason.TooOld); return; }
        for (var i = 0; i < _answered.Length; i++)
            if (_answeredFilled[i] && _answered[i] == sample) { Drop(DropReason.Duplicate); return; }
        _newest.Started(sample);
        _answered[_answeredNext] = sample;
        _answeredFilled[_answeredNext] = true;
        _answeredNext = (_answeredNext + 1) % _answered.Length;
        _partition.Run(_inputs, _logits);
        // The answer's sender byte names this worker, which the aggregator checks against the topic's.
        var length = WireMessage.WriteAnswer(sample, Inference.ClassScores.ArgMax(_logits), Outgoing, (byte)Id.Index);
        Publish(ServingMessageKind.CloudAnswer, _answerTopic, length);
        // A worker's answers, summed over the workers, are the jobs the deployment's cloud answered.
        Counters.CountAnswer(degraded: false);
    }
}
