using System.Buffers.Binary;

namespace Ddnn.Core.Serving;

/// <summary>The model and run a message belongs to: the fingerprint's first two bytes and the run id's low 16 bits.</summary>
/// <param name="Model">First two bytes of the model fingerprint (<see cref="ModelFingerprint.Tag"/>).</param>
/// <param name="Run">Low 16 bits of the run id the aggregator announced.</param>
public readonly record struct ServingTag(ushort Model, ushort Run)
{
    /// <summary>The tag of run <paramref name="runId"/> of the model <paramref name="fingerprint"/>.</summary>
    public static ServingTag Of(ModelFingerprint fingerprint, uint runId)
    {
        ArgumentNullException.ThrowIfNull(fingerprint);
        return new(fingerprint.Tag, (ushort)runId);
    }
}

/// <summary>
/// The 5 bytes in front of every served message except status announcements: protocol version (1 byte), model tag
/// (uint16 LE) and run tag (uint16 LE). A <see cref="Deploy.WireMessage"/> follows (its own 6-byte header: kind,
/// sender, uint32 sample). Receivers drop a message whose version, model tag or run tag differs from theirs, so a
/// stale message of another model or an earlier run is counted, never fused. Two 16-bit tags: a message of another
/// model or run slips through with probability 2^−16, and would still have to fit the sample window and the shapes.
/// </summary>
public static class ServingEnvelope
{
    /// <summary>Bytes of the envelope.</summary>
    public const int Bytes = 5;

    /// <summary>The protocol version this code speaks (also the first byte of a status announcement).</summary>
    public const byte Version = 1;

    /// <summary>Writes the envelope into the first <see cref="Bytes"/> bytes of <paramref name="destination"/>.</summary>
    public static void Write(ServingTag tag, Span<byte> destination)
    {
        if (destination.Length < Bytes) throw new ArgumentException($"destination has {destination.Length} bytes, the envelope needs {Bytes}.", nameof(destination));
        destination[0] = Version;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[1..], tag.Model);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[3..], tag.Run);
    }

    /// <summary>Reads version and tag; false when the message is shorter than the envelope.</summary>
    public static bool TryRead(ReadOnlySpan<byte> message, out byte version, out ServingTag tag)
    {
        if (message.Length < Bytes)
        {
            version = 0;
            tag = default;
            return false;
        }
        version = message[0];
        tag = new(BinaryPrimitives.ReadUInt16LittleEndian(message[1..]), BinaryPrimitives.ReadUInt16LittleEndian(message[3..]));
        return true;
    }
}
