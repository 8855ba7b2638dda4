using Ddnn.Core.Randomness;
namespace Ddnn.Training.Data;

/// <summary>A linear RGB colour with channels in [0, 1], used by the synthetic scene renderer.</summary>
internal readonly record struct RgbColor(float R, float G, float B)
{
    public RgbColor Scale(float factor) => new(R * factor, G * factor, B * factor);

    /// <summary>Each channel moved by up to ±<paramref name="amount"/>, clamped to [0, 1].</summary>
    public RgbColor Jitter(SeededRandom random, float amount) => new(
        Math.Clamp(R + amount * (2f * random.NextFloat() - 1f), 0f, 1f),
        Math.Clamp(G + amount * (2f * random.NextFloat() - 1f), 0f, 1f),
        Math.Clamp(B + amount * (2f * random.NextFloat() - 1f), 0f, 1f));
}
