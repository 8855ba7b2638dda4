using System.Buffers.Binary;

namespace Ddnn.Core.Serving;

/// <summary>A tier's announcement on its status topic.</summary>
/// <param name="Online">True: the tier serves; false: it stopped or went away (its last will).</param>
/// <param name="Fingerprint">The model the tier runs.</param>
/// <param name="RunId">The aggregator's current run (0 from other tiers and in an offline will).</param>
public readonly record struct TierStatus(bool Online, ModelFingerprint Fingerprint, uint RunId);

/// <summary>
/// The status announcement, published retained on <see cref="TopicScheme.Status"/>: protocol version (1 byte), state
/// (1 byte: 1 online, 0 offline), the full model fingerprint (32 bytes), run id (uint32 LE) = 38 bytes. The offline
/// form with run id 0 is the tier's MQTT last will, fixed at connect time.
/// </summary>
public static class StatusMessage
{
    /// <summary>Bytes of an announcement.</summary>
    public const int Bytes = 2 + ModelFingerprint.Bytes + 4;

    /// <summary>The bytes announcing <paramref name="status"/>.</summary>
    public static byte[] Write(TierStatus status)
    {
        ArgumentNullException.ThrowIfNull(status.Fingerprint);
        var bytes = new byte[Bytes];
        bytes[0] = ServingEnvelope.Version;
        bytes[1] = status.Online ? (byte)1 : (byte)0;
        status.Fingerprint.Hash.CopyTo(bytes.AsSpan(2));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(2 + ModelFingerprint.Bytes), status.RunId);
        return bytes;
    }

    /// <summary>The offline announcement of a tier running <paramref name="fingerprint"/>: its last-will payload.</summary>
    public static byte[] Offline(ModelFingerprint fingerprint) => Write(new TierStatus(false, fingerprint, 0));

    /// <summary>Parses an announcement; null with a reason in <paramref name="error"/> when it is malformed.</summary>
    public static TierStatus? TryRead(ReadOnlySpan<byte> payload, out string? error)
    {
        error = payload.Length != Bytes ? $"status of {payload.Length} bytes, expected {Bytes}"
            : payload[0] != ServingEnvelope.Version ? $"status of protocol version {payload[0]}, this tier speaks {ServingEnvelope.Version}"
            : payload[1] > 1 ? $"status state byte {payload[1]}"
            : null;
        if (error is not null) return null;
        return new TierStatus(payload[1] == 1, new ModelFingerprint(payload.Slice(2, ModelFingerprint.Bytes)),
            BinaryPrimitives.ReadUInt32LittleEndian(payload[(2 + ModelFingerprint.Bytes)..]));
    }
}
