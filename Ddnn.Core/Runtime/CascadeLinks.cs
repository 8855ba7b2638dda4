using Ddnn.Core.Deploy;
using Ddnn.Core.Randomness;
using Ddnn.Core.Serving;

namespace Ddnn.Core.Runtime;

/// <summary>
/// The links and scripted faults of <see cref="CascadeOptions"/> as a <see cref="ILinkModel"/>: each kind of message
/// travels on its <see cref="LinkSpec"/> (transfer time of the wire message, the envelope not timed, plus a device's
/// scripted delay; lost with the link's probability or when later than its timeout); ticks, statuses and the requests
/// to devices and edges arrive at once. A device that is down hears nothing for that sample; an unreachable cloud
/// receives nothing.
/// </summary>
/// <remarks>
/// Each lossy-link copy draws once from the seeded generator, in the order the straight-line runtime this replaced
/// drew, so seeded runs keep their results: at publish time (the send order) for everything but the edge stage; the
/// edge stage (every device's map to its edge, then each edge's scores) is drawn edge by edge when it starts, as that
/// runtime did, and the draws are used as those messages are sent. The cloud request is drawn even when the cloud is
/// down, the maps to it are not, as before.
/// </remarks>
internal sealed class CascadeLinks : ILinkModel
{
    private readonly CascadeOptions _options;
    private readonly DeployedModel _model;
    private readonly bool _hasLocalExit;
    private readonly SeededRandom _random;
    private readonly bool[] _mapArrives, _scoresArrive;
    private readonly double[] _mapDelay, _scoresDelay;
    private readonly int _mapBytes, _edgeScoresBytes;
    private bool _edgeStageDrawn;
    private long _sample = -1;

    public CascadeLinks(CascadeOptions options, DeployedModel model)
    {
        _options = options;
        _model = model;
        _hasLocalExit = model.Local is not null;
        _random = new SeededRandom(options.Seed);
        _mapArrives = new bool[model.Devices.Length];
        _mapDelay = new double[model.Devices.Length];
        _scoresArrive = new bool[model.Edges.Length];
        _scoresDelay = new double[model.Edges.Length];
        var device = model.Devices[0];
        _mapBytes = WireMessage.FeaturesBytes(device.FeatureChannels, device.FeatureSize.Height, device.FeatureSize.Width);
        _edgeScoresBytes = WireMessage.ScoresBytes(model.Config.Classes, Inference.ScoreEncoding.Float32);
    }

    /// <summary>The caller's number of the sample in flight (the fault script is by that number); −1 between samples.</summary>
    public long Sample
    {
        get => _sample;
        set
        {
            _sample = value;
            _edgeStageDrawn = false;
        }
    }

    public bool Deliver(PartitionId from, PartitionId to, ServingMessageKind kind, ReadOnlySpan<byte> wire, out double delayMs)
    {
        delayMs = 0;
        var options = _options;
        var faults = options.Faults;
        if (!_edgeStageDrawn && _model.Edges.Length > 0 && (kind == ServingMessageKind.EdgeRequest || (kind == ServingMessageKind.Tick && !_hasLocalExit)))
            DrawEdgeStage();
        if (to.Kind == PartitionKind.Device && faults.IsDeviceDown(to.Index, Sample)) return false;
        var cloudDown = to.Kind == PartitionKind.Cloud && faults.IsCloudDown(Sample);
        switch (kind)
        {
            case ServingMessageKind.DeviceScores:
                return Draw(options.DeviceToLocal, wire.Length, faults.DeviceDelayMs(from.Index, Sample), out delayMs);
            case ServingMessageKind.DeviceFeatures when to.Kind == PartitionKind.Edge:
                delayMs = _mapDelay[from.Index];
                return _mapArrives[from.Index];
            case ServingMessageKind.EdgeScores:
                delayMs = _scoresDelay[from.Index];
                return _scoresArrive[from.Index];
            case ServingMessageKind.DeviceFeatures:
                if (cloudDown) return false;
                return Draw(to.Kind == PartitionKind.Edge ? options.DeviceToEdge : options.DeviceToCloud, wire.Length,
                    faults.DeviceDelayMs(from.Index, Sample), out delayMs);
            case ServingMessageKind.EdgeFeatures:
                return !cloudDown && Draw(options.EdgeToCloud, wire.Length, 0, out delayMs);
            case ServingMessageKind.CloudRequest when to.Kind == PartitionKind.Cloud && _hasLocalExit:
                return Draw(options.LocalToCloud, wire.Length, 0, out delayMs) && !cloudDown;
            case ServingMessageKind.CloudAnswer:
                return Draw(options.LocalToCloud, wire.Length, 0, out delayMs);
            default:
                return !cloudDown;
        }
    }

    /// <summary>
    /// The edge stage's draws, edge by edge: the map of each live device of the edge, then, if any map arrives (the
    /// edge then runs and answers), the edge's scores.
    /// </summary>
    private void DrawEdgeStage()
    {
        _edgeStageDrawn = true;
        var faults = _options.Faults;
        for (var e = 0; e < _model.Edges.Length; e++)
        {
            var any = false;
            foreach (var d in _model.Config.Edges[e].Devices)
            {
                _mapArrives[d] = false;
                if (faults.IsDeviceDown(d, _sample)) continue;
                _mapArrives[d] = Draw(_options.DeviceToEdge, _mapBytes, faults.DeviceDelayMs(d, _sample), out _mapDelay[d]);
                any |= _mapArrives[d];
            }
            _scoresArrive[e] = any && Draw(_options.EdgeToLocal, _edgeScoresBytes, 0, out _scoresDelay[e]);
        }
    }

    /// <summary>One draw, always (determinism); false when lost or later than the link's timeout.</summary>
    private bool Draw(LinkSpec link, int bytes, double extraMs, out double arrival)
    {
        var lost = _random.NextDouble() < link.Loss;
        arrival = link.TransferMs(bytes) + extraMs;
        return !(lost || arrival > link.TimeoutMs);
    }
}
