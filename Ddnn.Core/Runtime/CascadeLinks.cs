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
/// Each lossy-link copy draws once from the seeded generator at publish time, so the draws come in the order the
/// messages are sent. That is the order of the straight-line runtime this replaced for everything but lossy links
/// inside the edge stage (it drew edge by edge; the event order draws every device's map first): so seeded runs give
/// the results they gave, on every model without edges and on edge models whose device→edge and edge→local links
/// lose nothing (the draws there still happen, in equal number). The cloud request is drawn even when the cloud is
/// down, the maps to it are not, as before.
/// </remarks>
internal sealed class CascadeLinks(CascadeOptions options, bool hasLocalExit) : ILinkModel
{
    private readonly SeededRandom _random = new(options.Seed);

    /// <summary>The caller's number of the sample in flight (the fault script is by that number); −1 between samples.</summary>
    public long Sample { get; set; } = -1;

    public bool Deliver(PartitionId from, PartitionId to, ServingMessageKind kind, ReadOnlySpan<byte> wire, out double delayMs)
    {
        delayMs = 0;
        var faults = options.Faults;
        if (to.Kind == PartitionKind.Device && faults.IsDeviceDown(to.Index, Sample)) return false;
        var cloudDown = to.Kind == PartitionKind.Cloud && faults.IsCloudDown(Sample);
        switch (kind)
        {
            case ServingMessageKind.DeviceScores:
                return Draw(options.DeviceToLocal, wire.Length, faults.DeviceDelayMs(from.Index, Sample), out delayMs);
            case ServingMessageKind.DeviceFeatures:
                if (cloudDown) return false;
                return Draw(to.Kind == PartitionKind.Edge ? options.DeviceToEdge : options.DeviceToCloud, wire.Length,
                    faults.DeviceDelayMs(from.Index, Sample), out delayMs);
            case ServingMessageKind.EdgeScores:
                return Draw(options.EdgeToLocal, wire.Length, 0, out delayMs);
            case ServingMessageKind.EdgeFeatures:
                return !cloudDown && Draw(options.EdgeToCloud, wire.Length, 0, out delayMs);
            case ServingMessageKind.CloudRequest when to.Kind == PartitionKind.Cloud && hasLocalExit:
                return Draw(options.LocalToCloud, wire.Length, 0, out delayMs) && !cloudDown;
            case ServingMessageKind.CloudAnswer:
                return Draw(options.LocalToCloud, wire.Length, 0, out delayMs);
            default:
                return !cloudDown;
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
