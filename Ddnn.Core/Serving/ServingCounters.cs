using System.Globalization;
using System.Text;

namespace Ddnn.Core.Serving;

/// <summary>Why a tier dropped a message (counted in <see cref="ServingCounters"/>).</summary>
public enum DropReason
{
    /// <summary>A topic outside the deployment's scheme, or one this tier does not read.</summary>
    BadTopic,
    /// <summary>Shorter than the envelope, or not the exact size of its kind and shape.</summary>
    BadSize,
    /// <summary>Another protocol version.</summary>
    BadVersion,
    /// <summary>A message kind that does not belong on its topic.</summary>
    BadKind,
    /// <summary>The header's sender differs from the sender the topic names.</summary>
    SenderMismatch,
    /// <summary>The model tag differs: a message of another model.</summary>
    WrongModel,
    /// <summary>The run tag differs from the current run (an earlier run), or no run is known yet.</summary>
    StaleRun,
    /// <summary>Bytes that do not decode (padding bits set, class out of range, bad status, a bundle whose lengths do not add up).</summary>
    Malformed,
    /// <summary>Class scores with NaN or infinity.</summary>
    NonFinite,
    /// <summary>A sample id far behind the newest one this tier knows.</summary>
    TooOld,
    /// <summary>A sample id far ahead of the newest one the aggregator announced.</summary>
    TooFarAhead,
    /// <summary>A message for a sample this tier holds nothing for (never ticked here, or evicted).</summary>
    UnknownSample,
    /// <summary>For a sample already answered, or a stage already decided: late or reordered.</summary>
    Late,
    /// <summary>The same sender's message for the same sample and stage, again.</summary>
    Duplicate,
    /// <summary>The per-sample state is at its cap and nothing in it has expired.</summary>
    StateFull,
    /// <summary>A peer announced itself online with another model: refused (logged with both fingerprints).</summary>
    RefusedPeer,
    /// <summary>A message from a tier this one does not expect (e.g. a device outside this edge).</summary>
    UnexpectedSender,
    /// <summary>Per-sample state that expired before its stage started (e.g. maps with no request).</summary>
    Expired,
    /// <summary>An offline status of another model: a retained will an earlier deployment under the same name left behind.</summary>
    StaleStatus,
}

/// <summary>
/// What one tier counted: drops by reason, and messages and bytes it published per kind (the payload bytes the
/// transport was given, envelope included). Updated by the tier's single thread; read by the host at any time.
/// </summary>
public sealed class ServingCounters
{
    private readonly long[] _drops = new long[Enum.GetValues<DropReason>().Length];
    private readonly long[] _messages = new long[Enum.GetValues<ServingMessageKind>().Length];
    private readonly long[] _bytes = new long[Enum.GetValues<ServingMessageKind>().Length];

    /// <summary>Messages dropped for <paramref name="reason"/>.</summary>
    public long this[DropReason reason] => Volatile.Read(ref _drops[(int)reason]);

    /// <summary>Messages dropped for any reason.</summary>
    public long TotalDrops
    {
        get
        {
            long total = 0;
            for (var i = 0; i < _drops.Length; i++) total += Volatile.Read(ref _drops[i]);
            return total;
        }
    }

    /// <summary>Messages of <paramref name="kind"/> published.</summary>
    public long Published(ServingMessageKind kind) => Volatile.Read(ref _messages[(int)kind]);

    /// <summary>Payload bytes of <paramref name="kind"/> published (envelope and wire message).</summary>
    public long PublishedBytes(ServingMessageKind kind) => Volatile.Read(ref _bytes[(int)kind]);

    /// <summary>Samples the aggregator answered (0 on other tiers).</summary>
    public long Answered => Volatile.Read(ref _answered);
    private long _answered;

    /// <summary>Answers flagged degraded: fallbacks, no answer, or a device missing at the aggregator.</summary>
    public long Degraded => Volatile.Read(ref _degraded);
    private long _degraded;

    internal void Drop(DropReason reason) => Interlocked.Increment(ref _drops[(int)reason]);

    internal void Count(ServingMessageKind kind, int bytes)
    {
        Interlocked.Increment(ref _messages[(int)kind]);
        Interlocked.Add(ref _bytes[(int)kind], bytes);
    }

    internal void CountAnswer(bool degraded)
    {
        Interlocked.Increment(ref _answered);
        if (degraded) Interlocked.Increment(ref _degraded);
    }

    /// <summary>One line: answers, published messages/bytes per kind and non-zero drops by reason.</summary>
    public override string ToString()
    {
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        if (Answered > 0) text.Append(inv, $"answered {Answered} (degraded {Degraded}); ");
        text.Append("published");
        foreach (var kind in Enum.GetValues<ServingMessageKind>())
            if (Published(kind) > 0) text.Append(inv, $" {kind} {Published(kind)}/{PublishedBytes(kind)} B");
        text.Append("; dropped ").Append(TotalDrops.ToString(inv));
        foreach (var reason in Enum.GetValues<DropReason>())
            if (this[reason] > 0) text.Append(inv, $" {reason} {this[reason]}");
        return text.ToString();
    }
}
