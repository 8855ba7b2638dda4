using Ddnn.Core.Deploy;
using Ddnn.Core.Inference;
using Ddnn.Core.Randomness;
using Ddnn.Core.Serving;

namespace Ddnn.Core.Tests.Serving;

/// <summary>What is wrong with a fuzz message (each class has one drop reason per receiving tier, see <see cref="WireFuzzer.Expected"/>).</summary>
public enum FuzzClass
{
    /// <summary>0–4 random bytes (not a bundle marker).</summary>
    RandomShort,
    /// <summary>5–256 random bytes whose first byte is neither the protocol version nor the bundle marker.</summary>
    RandomLong,
    /// <summary>A valid message cut short.</summary>
    Truncated,
    /// <summary>A valid message with 1–64 random bytes appended.</summary>
    OverLong,
    /// <summary>A valid message whose kind byte is unknown or not what its topic carries to its reader.</summary>
    WrongKind,
    /// <summary>A valid message whose header's sender is not the topic's.</summary>
    SenderMismatch,
    /// <summary>A valid message of another model tag.</summary>
    WrongModel,
    /// <summary>A valid message of another run tag.</summary>
    StaleRun,
    /// <summary>A valid message for a sample far behind the newest the deployment ticked.</summary>
    FarBehind,
    /// <summary>A valid message, on an addressed topic, for a sample far ahead of the newest the deployment ticked.</summary>
    FarAhead,
    /// <summary>Scores of another class count, a map of another shape, a request for another device count.</summary>
    WrongShape,
    /// <summary>float32 scores with NaN, +∞ or −∞.</summary>
    NonFinite,
    /// <summary>A bundle of valid messages whose lengths do not add up (cut, stray byte, short length, marker alone).</summary>
    MalformedBundle,
    /// <summary>An offline status of another model (a stale retained will).</summary>
    StaleStatus,
    /// <summary>A topic of the deployment that the tiers subscribed to it do not read (unknown tier, a sender they do not take).</summary>
    BadTopic,
    /// <summary>A valid message followed by megabytes: above every tier's MQTT maximum packet size, so a broker never delivers it.</summary>
    Oversized,
    /// <summary>With cloud workers: a cloud job whose bitmap names no input, or has a padding bit set.</summary>
    BadJobBitmap,
}

/// <summary>One fuzz message: where it goes, its bytes, what is wrong with it, and the kind of its topic.</summary>
public sealed record FuzzMessage(string Topic, byte[] Payload, FuzzClass Class, TopicKind TopicKind);

/// <summary>
/// Hostile and broken input for the served tiers, on every topic a tier of <see cref="Model"/> reads: built with the
/// real encoders (<see cref="ServingEnvelope"/>, <see cref="WireMessage"/>, <see cref="MessageBundle"/>,
/// <see cref="StatusMessage"/>) and then corrupted, so each message passes every check up to the one its class
/// breaks. Deterministic for a seed. It never forges what only the ACL can keep out: a tick or request with this
/// run's tags for a sample the tiers would serve, or a status in this model's fingerprint.
/// </summary>
public sealed class WireFuzzer
{
    private readonly SeededRandom _rng;
    private readonly TopicScheme _topics;
    private readonly ModelFingerprint _fingerprint;
    private readonly ServingTag _tag;
    private readonly List<(string Topic, ParsedTopic Parsed)> _read = [];
    private readonly List<(string Topic, TopicKind Kind)> _bad = [];

    /// <summary>Fuzz for deployment <paramref name="topics"/> of <paramref name="model"/>, run <paramref name="runId"/>.</summary>
    public WireFuzzer(DeployedModel model, ModelFingerprint fingerprint, TopicScheme topics, uint runId, ulong seed)
    {
        Model = model;
        _fingerprint = fingerprint;
        _topics = topics;
        _tag = ServingTag.Of(fingerprint, runId);
        _rng = new SeededRandom(seed);
        var local = new PartitionId(PartitionKind.Local);
        var cloud = new PartitionId(PartitionKind.Cloud);
        // With cloud workers the cloud inputs' maps go to the aggregator, which sends the jobs the workers read.
        var workers = topics.HasCloudWorkers;
        foreach (var tier in topics.Tiers(model)) Add(topics.Status(tier));
        Add(topics.Tick);
        // Without a local exit the edges start on the tick, and without edges too the cloud does: no tier reads those requests.
        if (model.Edges.Length > 0 && model.Local is not null) Add(topics.EdgeRequest);
        if (model.Edges.Length > 0 || model.Local is not null) Add(topics.CloudRequest);
        if (workers) Add(topics.CloudJob);
        for (var d = 0; d < model.Devices.Length; d++)
        {
            var dev = new PartitionId(PartitionKind.Device, d);
            var edge = Array.FindIndex(model.Config.Edges.ToArray(), e => e.Devices.Contains(d));
            if (model.Local is not null || (workers && edge < 0)) Add(topics.To(local, dev));
            if (edge >= 0) Add(topics.To(new PartitionId(PartitionKind.Edge, edge), dev));
            else if (!workers) Add(topics.To(cloud, dev));
        }
        for (var e = 0; e < model.Edges.Length; e++)
        {
            var edge = new PartitionId(PartitionKind.Edge, e);
            Add(topics.To(local, edge));
            if (!workers) Add(topics.To(cloud, edge));
        }
        // The cloud (or each worker) answers the aggregator, with or without a local exit.
        for (var k = 0; k < topics.CloudTiers; k++) Add(topics.To(local, new PartitionId(PartitionKind.Cloud, k)));
        // Topics some tier subscribes to (so a broker delivers them) but no tier reads.
        var root = $"{TopicScheme.Prefix}/{topics.Deployment}/";
        _bad.Add((root + $"to/local/dev{model.Devices.Length}", TopicKind.Addressed));
        _bad.Add((root + "to/local/dev01", TopicKind.Addressed));
        // With workers no tier subscribes to the cloud's inbox; a worker past the last, or cloud0, is no tier either.
        _bad.Add(workers ? (root + $"to/local/cloud{topics.CloudWorkers}", TopicKind.Addressed) : (root + "to/cloud/local", TopicKind.Addressed));
        _bad.Add((root + $"status/dev{model.Devices.Length}", TopicKind.Status));
        _bad.Add((root + "status/nobody", TopicKind.Status));
        if (workers) _bad.Add((root + "status/cloud0", TopicKind.Status));
        if (model.Edges.Length > 0 && !workers)
        {
            _bad.Add((topics.To(cloud, new PartitionId(PartitionKind.Device, 0)), TopicKind.Addressed));
            _bad.Add((topics.To(new PartitionId(PartitionKind.Edge, 0), cloud), TopicKind.Addressed));
        }
    }

    private void Add(string topic)
    {
        Assert.True(_topics.TryParse(topic, out var parsed), topic);
        _read.Add((topic, parsed));
    }

    /// <summary>The model whose tiers are fuzzed.</summary>
    public DeployedModel Model { get; }

    /// <summary>Every topic a tier of the model reads.</summary>
    public IEnumerable<string> ReadTopics => _read.Select(r => r.Topic);

    /// <summary>The classes this fuzzer makes: all but <see cref="FuzzClass.BadJobBitmap"/> without cloud workers, and <see cref="FuzzClass.NonFinite"/> when no tier sends the aggregator scores.</summary>
    public IEnumerable<FuzzClass> Classes => Enum.GetValues<FuzzClass>().Where(c => c switch
    {
        FuzzClass.BadJobBitmap => _topics.HasCloudWorkers,
        // Scores reach the aggregator from the devices with a local exit, and from the edges.
        FuzzClass.NonFinite => Model.Local is not null || Model.Edges.Length > 0,
        _ => true,
    });

    /// <summary>
    /// <paramref name="count"/> messages, <paramref name="oversized"/> of them <see cref="FuzzClass.Oversized"/> (spread
    /// through the stream). <paramref name="newest"/> is the newest sample the deployment ticked (at least 1,100,000, so
    /// that ids far behind it exist); far means more than 100,000 ids, past every window and cap.
    /// </summary>
    public List<FuzzMessage> Generate(int count, uint newest, int oversized = 0)
    {
        Assert.InRange(newest, 1_100_000u, 3_000_000_000u);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(oversized, count);
        var messages = new List<FuzzMessage>(count);
        var every = oversized > 0 ? count / oversized : 0;
        for (var i = 0; i < count; i++) messages.Add(Next(newest, every > 0 && i % every == every / 2 && i / every < oversized));
        return messages;
    }

    private FuzzMessage Next(uint newest, bool oversized)
    {
        if (!oversized && _rng.NextInt(16) == 0)
        {
            var (badTopic, badKind) = _bad[_rng.NextInt(_bad.Count)];
            return new(badTopic, Valid(_topics.Tick, new ParsedTopic(TopicKind.Tick), Sample()), FuzzClass.BadTopic, badKind);
        }
        var (topic, parsed) = _read[_rng.NextInt(_read.Count)];
        FuzzClass[] classes = parsed.Kind switch
        {
            _ when oversized => [FuzzClass.Oversized],
            TopicKind.Status => [FuzzClass.RandomShort, FuzzClass.RandomLong, FuzzClass.Truncated, FuzzClass.OverLong, FuzzClass.MalformedBundle, FuzzClass.StaleStatus],
            TopicKind.Addressed when parsed.Tier.Kind == PartitionKind.Local && TakesScores(parsed.Sender) =>
                [.. DataClasses, FuzzClass.FarAhead, FuzzClass.NonFinite],
            TopicKind.Addressed => [.. DataClasses, FuzzClass.FarAhead],
            TopicKind.CloudJob => [.. DataClasses, FuzzClass.BadJobBitmap],
            _ => DataClasses,
        };
        var kind = classes[_rng.NextInt(classes.Length)];
        return new(topic, Payload(kind, topic, parsed, newest), kind, parsed.Kind);
    }

    /// <summary>Whether the aggregator takes scores from <paramref name="sender"/>: the edges', and the devices' when the model has a local exit.</summary>
    private bool TakesScores(PartitionId sender) => sender.Kind == PartitionKind.Edge || (sender.Kind == PartitionKind.Device && Model.Local is not null);

    private static readonly FuzzClass[] DataClasses =
    [
        FuzzClass.RandomShort, FuzzClass.RandomLong, FuzzClass.Truncated, FuzzClass.OverLong, FuzzClass.WrongKind, FuzzClass.SenderMismatch,
        FuzzClass.WrongModel, FuzzClass.StaleRun, FuzzClass.FarBehind, FuzzClass.WrongShape, FuzzClass.MalformedBundle,
    ];

    /// <summary>A sample id whose message is dropped before any per-sample state is looked at.</summary>
    private uint Sample() => (uint)_rng.NextUInt64();

    private byte[] Payload(FuzzClass kind, string topic, ParsedTopic parsed, uint newest)
    {
        var status = parsed.Kind == TopicKind.Status;
        byte[] Base() => status ? StatusMessage.Write(new TierStatus(true, _fingerprint, 0)) : Valid(topic, parsed, Sample());
        switch (kind)
        {
            case FuzzClass.RandomShort:
                return Random(_rng.NextInt(0, 5));
            case FuzzClass.RandomLong:
                return Random(_rng.NextInt(5, 257));
            case FuzzClass.Truncated:
                var whole = Base();
                return whole[.._rng.NextInt(0, whole.Length)];
            case FuzzClass.OverLong:
                return [.. Base(), .. Random(_rng.NextInt(1, 65), anyFirst: true)];
            case FuzzClass.Oversized:
                return [.. Base(), .. new byte[_rng.NextInt(1_500_000, 3_000_000)]];
            case FuzzClass.WrongKind:
            {
                var message = Base();
                var right = RightKinds(parsed);
                byte wrong;
                // Half of them a kind that exists on the wire, only not here: past the kind checks every topic shares,
                // it tests the one the reading tier makes itself (e.g. scores to an aggregator without a local exit).
                var known = Enum.GetValues<WireMessageKind>().Where(k => !right.Contains(k)).ToArray();
                if (_rng.NextBool(0.5)) wrong = (byte)known[_rng.NextInt(known.Length)];
                else do wrong = (byte)_rng.NextInt(256); while (right.Contains((WireMessageKind)wrong));
                message[ServingEnvelope.Bytes] = wrong;
                return message;
            }
            case FuzzClass.SenderMismatch:
            {
                var message = Base();
                var sender = message[ServingEnvelope.Bytes + 1];
                message[ServingEnvelope.Bytes + 1] = (byte)(sender + _rng.NextInt(1, 256));
                return message;
            }
            case FuzzClass.WrongModel:
                return Valid(topic, parsed, Sample(), _tag with { Model = (ushort)(_tag.Model ^ _rng.NextInt(1, 65536)) });
            case FuzzClass.StaleRun:
                return Valid(topic, parsed, Sample(), _tag with { Run = (ushort)(_tag.Run ^ _rng.NextInt(1, 65536)) });
            case FuzzClass.FarBehind:
                return Valid(topic, parsed, newest - (uint)_rng.NextInt(100_001, 1_000_000));
            case FuzzClass.FarAhead:
                return Valid(topic, parsed, newest + (uint)_rng.NextInt(100_001, 1_000_000_000));
            case FuzzClass.WrongShape:
                return Valid(topic, parsed, Sample(), wrongShape: true);
            case FuzzClass.NonFinite:
            {
                var scores = Scores(Model.Config.Classes);
                scores[_rng.NextInt(scores.Length)] = _rng.NextInt(3) switch { 0 => float.NaN, 1 => float.PositiveInfinity, _ => float.NegativeInfinity };
                return Envelope(b => WireMessage.WriteScores((byte)parsed.Sender.Index, Sample(), scores, ScoreEncoding.Float32, null, b));
            }
            case FuzzClass.MalformedBundle:
            {
                var inner = status ? Valid(_topics.Tick, new ParsedTopic(TopicKind.Tick), Sample()) : Base();
                var bundle = MessageBundle.Pack([inner, status ? inner : Base()]);
                switch (_rng.NextInt(4))
                {
                    case 0: return bundle[..^_rng.NextInt(1, inner.Length)];
                    case 1: return [.. bundle, (byte)_rng.NextInt(256)];
                    case 2:
                        bundle[MessageBundle.HeaderBytes] = (byte)_rng.NextInt(0, MessageBundle.MinMessageBytes);
                        bundle[MessageBundle.HeaderBytes + 1] = 0;
                        return bundle;
                    default: return [MessageBundle.Marker];
                }
            }
            case FuzzClass.BadJobBitmap:
            {
                var inputs = CloudInputBodies();
                if (inputs.Length % 8 == 0 || _rng.NextBool(0.5))
                {
                    // No input present: header and an all-zero bitmap, the size that bitmap implies.
                    return Envelope(b => WriteEmptyJob(Sample(), b, WireMessage.CloudJobBytes(new bool[inputs.Length], inputs)));
                }
                var job = Valid(topic, parsed, Sample());
                job[ServingEnvelope.Bytes + WireMessage.HeaderBytes + (inputs.Length + 7) / 8 - 1] |= (byte)(1 << (inputs.Length % 8 + _rng.NextInt(8 - inputs.Length % 8)));
                return job;
            }
            case FuzzClass.StaleStatus:
                return StatusMessage.Offline(ModelFingerprint.OfDeployFile([.. Random(8, anyFirst: true)]));
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "not generated on its own");
        }
    }

    /// <summary>Feature body bytes of each cloud input (devices, or edges), what a job carries per present input.</summary>
    private int[] CloudInputBodies() => Model.Edges.Length > 0
        ? [.. Model.Edges.Select(e => WireMessage.FeaturesBytes(e.Blocks[^1].OutChannels, e.Blocks[^1].OutHeight, e.Blocks[^1].OutWidth) - WireMessage.HeaderBytes)]
        : [.. Model.Devices.Select(d => WireMessage.FeaturesBytes(d.FeatureChannels, d.FeatureSize.Height, d.FeatureSize.Width) - WireMessage.HeaderBytes)];

    private static int WriteEmptyJob(uint sample, byte[] destination, int length)
    {
        destination.AsSpan(0, length).Clear();
        destination[0] = (byte)WireMessageKind.CloudJob;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(destination.AsSpan(2), sample);
        return length;
    }

    /// <summary>The kinds a reader of <paramref name="parsed"/> takes: anything else is a wrong kind.</summary>
    private WireMessageKind[] RightKinds(ParsedTopic parsed) => parsed.Kind switch
    {
        TopicKind.Tick => [WireMessageKind.Tick],
        TopicKind.EdgeRequest or TopicKind.CloudRequest => [WireMessageKind.CloudRequest],
        TopicKind.CloudJob => [WireMessageKind.CloudJob],
        _ => (parsed.Tier.Kind, parsed.Sender.Kind) switch
        {
            // With cloud workers the devices' (or edges') maps come to the aggregator on the same topics as their scores.
            // Without a local exit a device sends the aggregator only its map (with cloud workers), never scores.
            (PartitionKind.Local, PartitionKind.Device) when Model.Local is null => [WireMessageKind.Features],
            (PartitionKind.Local, PartitionKind.Device) => _topics.HasCloudWorkers
                ? [WireMessageKind.ScoresFloat32, WireMessageKind.ScoresUInt8, WireMessageKind.Features] : [WireMessageKind.ScoresFloat32, WireMessageKind.ScoresUInt8],
            (PartitionKind.Local, PartitionKind.Edge) => _topics.HasCloudWorkers ? [WireMessageKind.ScoresFloat32, WireMessageKind.Features] : [WireMessageKind.ScoresFloat32],
            (PartitionKind.Local, _) => [WireMessageKind.CloudAnswer],
            _ => [WireMessageKind.Features],
        },
    };

    /// <summary>The message a real sender would publish on <paramref name="topic"/> for <paramref name="sample"/> (or, with <paramref name="wrongShape"/>, one of another shape).</summary>
    private byte[] Valid(string topic, ParsedTopic parsed, uint sample, ServingTag? tag = null, bool wrongShape = false)
    {
        var grow = wrongShape ? 1 : 0;
        var classes = Model.Config.Classes;
        return Envelope(b =>
        {
            switch (parsed.Kind)
            {
                case TopicKind.Tick:
                    return WireMessage.WriteTick(sample, b) + grow;
                case TopicKind.EdgeRequest or TopicKind.CloudRequest:
                    return WireMessage.WriteRequest(0, sample, Enumerable.Repeat(true, Model.Devices.Length + 8 * grow).ToArray(), b);
                case TopicKind.CloudJob:
                {
                    // Every input present, zero maps; the wrong shape is one byte more than the bitmap implies.
                    var bodies = CloudInputBodies();
                    var present = Enumerable.Repeat(true, bodies.Length).ToArray();
                    return WireMessage.WriteCloudJob(sample, present, [.. bodies.Select(n => new byte[n])], bodies, b) + grow;
                }
            }
            var sender = (byte)parsed.Sender.Index;
            if (parsed.Tier.Kind == PartitionKind.Local && (parsed.Sender.Kind == PartitionKind.Cloud || TakesScores(parsed.Sender)))
                return parsed.Sender.Kind == PartitionKind.Cloud
                    ? WireMessage.WriteAnswer(sample, _rng.NextInt(classes), b, sender) + grow
                    : WireMessage.WriteScores(sender, sample, Scores(wrongShape ? (classes > 1 && _rng.NextBool(0.5) ? classes - 1 : classes + 1) : classes), ScoreEncoding.Float32, null, b);
            var (c, h, w) = parsed.Sender.Kind == PartitionKind.Device
                ? (Model.Devices[parsed.Sender.Index].FeatureChannels, Model.Devices[parsed.Sender.Index].FeatureSize.Height, Model.Devices[parsed.Sender.Index].FeatureSize.Width)
                : (Model.Edges[parsed.Sender.Index].Blocks[^1].OutChannels, Model.Edges[parsed.Sender.Index].Blocks[^1].OutHeight, Model.Edges[parsed.Sender.Index].Blocks[^1].OutWidth);
            w += grow;
            return WireMessage.WriteFeatures(sender, sample, new ulong[h * w * ((c + 63) / 64)], c, h, w, b);
        }, tag);
    }

    private float[] Scores(int classes)
    {
        var scores = new float[classes];
        for (var j = 0; j < classes; j++) scores[j] = (float)_rng.NextDouble(-10, 10);
        return scores;
    }

    private byte[] Envelope(Func<byte[], int> writeWire, ServingTag? tag = null)
    {
        var buffer = new byte[1 << 16];
        var length = writeWire(buffer);
        var payload = new byte[ServingEnvelope.Bytes + length];
        ServingEnvelope.Write(tag ?? _tag, payload);
        buffer.AsSpan(0, length).CopyTo(payload.AsSpan(ServingEnvelope.Bytes));
        return payload;
    }

    private byte[] Random(int length, bool anyFirst = false)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++) bytes[i] = (byte)_rng.NextInt(256);
        if (!anyFirst && length > 0)
            while (bytes[0] is ServingEnvelope.Version or MessageBundle.Marker) bytes[0] = (byte)_rng.NextInt(256);
        return bytes;
    }

    /// <summary>
    /// The one drop <paramref name="message"/> must cause at <paramref name="receiver"/>, a tier subscribed to its topic
    /// that has served at least one sample of the run (so it knows the newest sample).
    /// </summary>
    public static DropReason Expected(FuzzMessage message, PartitionId receiver)
    {
        if (message.Class == FuzzClass.BadTopic) return DropReason.BadTopic;
        if (message.TopicKind == TopicKind.Status) return message.Class == FuzzClass.StaleStatus ? DropReason.StaleStatus : DropReason.Malformed;
        return message.Class switch
        {
            FuzzClass.RandomShort or FuzzClass.Truncated or FuzzClass.OverLong or FuzzClass.WrongShape or FuzzClass.Oversized => DropReason.BadSize,
            FuzzClass.RandomLong => DropReason.BadVersion,
            FuzzClass.WrongKind => DropReason.BadKind,
            FuzzClass.SenderMismatch => DropReason.SenderMismatch,
            FuzzClass.WrongModel => DropReason.WrongModel,
            FuzzClass.StaleRun => DropReason.StaleRun,
            FuzzClass.NonFinite => DropReason.NonFinite,
            FuzzClass.MalformedBundle or FuzzClass.BadJobBitmap => DropReason.Malformed,
            FuzzClass.FarAhead => DropReason.TooFarAhead,
            FuzzClass.FarBehind => receiver.Kind switch
            {
                PartitionKind.Device => message.TopicKind == TopicKind.Tick ? DropReason.Late : DropReason.TooOld,
                PartitionKind.Local => DropReason.Late,
                _ => DropReason.TooOld,
            },
            _ => throw new ArgumentOutOfRangeException(nameof(message), message.Class, "no drop reason"),
        };
    }

    /// <summary>The tiers among <paramref name="tiers"/> a broker delivers <paramref name="topic"/> to (by their subscriptions).</summary>
    /// <remarks>A shared subscription's group (<c>$share/&lt;group&gt;/...</c>) gets each message once, here at its first member.</remarks>
    public static IEnumerable<T> Receivers<T>(IEnumerable<T> tiers, string topic) where T : IMessageHandler
    {
        var groups = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tier in tiers)
            foreach (var subscription in tier.Subscriptions)
            {
                var shared = TopicScheme.TrySplitShared(subscription, out var group, out var filter);
                if (!TopicScheme.Matches(shared ? filter : subscription, topic)) continue;
                if (!shared || groups.Add(group)) yield return tier;
                break;
            }
    }
}
