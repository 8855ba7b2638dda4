using System.Buffers.Binary;
using System.Security.Cryptography;
using Ddnn.Core.Deploy;

namespace Ddnn.Core.Serving;

/// <summary>
/// Which model a tier runs: the SHA-256 of the model's packed whole-model deploy file (the bytes
/// <see cref="DeployFile.Serialize(DeployedModel)"/> gives and <c>ddnn export</c> writes as <c>model.ddnnp</c>), so every
/// tier that loaded the same export, from the whole file or from its directory, computes the same value.
/// Announced in full on the status topics; every other message carries its first two bytes (<see cref="Tag"/>).
/// </summary>
public sealed class ModelFingerprint : IEquatable<ModelFingerprint>
{
    /// <summary>Bytes of a fingerprint.</summary>
    public const int Bytes = 32;

    private readonly byte[] _hash;

    /// <summary>A fingerprint from its 32 bytes.</summary>
    public ModelFingerprint(ReadOnlySpan<byte> hash)
    {
        if (hash.Length != Bytes) throw new ArgumentException($"a model fingerprint has {Bytes} bytes, got {hash.Length}.", nameof(hash));
        _hash = hash.ToArray();
    }

    /// <summary>The fingerprint of <paramref name="model"/>: SHA-256 of its packed whole-model file.</summary>
    public static ModelFingerprint Of(DeployedModel model) => OfDeployFile(DeployFile.Serialize(model));

    /// <summary>The fingerprint of packed whole-model file bytes.</summary>
    public static ModelFingerprint OfDeployFile(ReadOnlySpan<byte> deployFile) => new(SHA256.HashData(deployFile));

    /// <summary>The 32 bytes.</summary>
    public ReadOnlySpan<byte> Hash => _hash;

    /// <summary>The first two bytes (little-endian), the model half of every message's <see cref="ServingTag"/>.</summary>
    public ushort Tag => BinaryPrimitives.ReadUInt16LittleEndian(_hash);

    /// <summary>The first 8 bytes in hex: enough to tell models apart in a log line.</summary>
    public string Short => Convert.ToHexStringLower(_hash, 0, 8);

    /// <summary>All 32 bytes in lowercase hex.</summary>
    public override string ToString() => Convert.ToHexStringLower(_hash);

    /// <inheritdoc/>
    public bool Equals(ModelFingerprint? other) => other is not null && _hash.AsSpan().SequenceEqual(other._hash);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as ModelFingerprint);

    /// <inheritdoc/>
    public override int GetHashCode() => BinaryPrimitives.ReadInt32LittleEndian(_hash);
}
