using Ddnn.Kernels.Binary;

namespace Ddnn.Kernels.Tests.Binary;

/// <summary>Plain float oracles (the training-side semantics) and seeded random data for the binary kernel tests.</summary>
internal static class BinaryReference
{
    public static float[] RandomSigns(Random random, int length)
    {
        var values = new float[length];
        for (var i = 0; i < length; i++) values[i] = random.Next(2) == 0 ? -1f : 1f;
        return values;
    }

    /// <summary>Dyadic values k/8 in [-4, 4]: every partial sum of a small conv is exact in float32.</summary>
    public static float[] RandomDyadic(Random random, int length)
    {
        var values = new float[length];
        for (var i = 0; i < length; i++) values[i] = random.Next(-32, 33) / 8f;
        return values;
    }

    public static float[] RandomFloats(Random random, int length, float scale = 1f)
    {
        var values = new float[length];
        for (var i = 0; i < length; i++) values[i] = (float)(random.NextDouble() * 2 - 1) * scale;
        return values;
    }

    public static ulong[] RandomWords(Random random, int length)
    {
        var words = new ulong[length];
        for (var i = 0; i < length; i++) words[i] = (ulong)random.NextInt64() ^ ((ulong)random.Next(2) << 63);
        return words;
    }

    /// <summary>The ±1 value of float x under the packing rule (x ≥ 0 → +1).</summary>
    public static float Sign(float x) => x >= 0f ? 1f : -1f;

    /// <summary>
    /// 7-loop float cross-correlation with zero padding: each output starts at 0, adds x·w over ci, ky, kx ascending
    /// (padded taps contribute nothing), then adds the bias once. Weights are used as given (pass ±1 values).
    /// </summary>
    public static float[] Conv(float[] input, float[] weights, float[]? bias, BinaryConvGeometry g)
    {
        var output = new float[g.OutputLength];
        int ho = g.OutHeight, wo = g.OutWidth;
        for (var n = 0; n < g.Batch; n++)
        for (var co = 0; co < g.OutChannels; co++)
        for (var oy = 0; oy < ho; oy++)
        for (var ox = 0; ox < wo; ox++)
        {
            var sum = 0f;
            for (var ci = 0; ci < g.InChannels; ci++)
            for (var ky = 0; ky < g.KernelH; ky++)
            for (var kx = 0; kx < g.KernelW; kx++)
            {
                int iy = oy * g.Stride - g.Padding + ky, ix = ox * g.Stride - g.Padding + kx;
                if (iy < 0 || iy >= g.Height || ix < 0 || ix >= g.Width) continue;
                sum += input[((n * g.InChannels + ci) * g.Height + iy) * g.Width + ix]
                       * weights[((co * g.InChannels + ci) * g.KernelH + ky) * g.KernelW + kx];
            }
            output[((n * g.OutChannels + co) * ho + oy) * wo + ox] = bias is null ? sum : sum + bias[co];
        }
        return output;
    }

    /// <summary>Max-pool with −∞ padding over (N, C, H, W).</summary>
    public static float[] MaxPool(float[] input, int batch, int channels, int height, int width, PoolGeometry pool,
        out int outHeight, out int outWidth)
    {
        int hp = pool.OutputSize(height), wp = pool.OutputSize(width);
        outHeight = hp;
        outWidth = wp;
        var output = new float[batch * channels * hp * wp];
        for (var nc = 0; nc < batch * channels; nc++)
        for (var py = 0; py < hp; py++)
        for (var px = 0; px < wp; px++)
        {
            var max = float.NegativeInfinity;
            for (var dy = 0; dy < pool.Kernel; dy++)
            for (var dx = 0; dx < pool.Kernel; dx++)
            {
                int y = py * pool.Stride - pool.Padding + dy, x = px * pool.Stride - pool.Padding + dx;
                if (y < 0 || y >= height || x < 0 || x >= width) continue;
                max = Math.Max(max, input[(nc * height + y) * width + x]);
            }
            output[(nc * hp + py) * wp + px] = max;
        }
        return output;
    }

    /// <summary>Each channel's sign test over (N, C, H, W) pre-activations, as ±1 floats.</summary>
    public static float[] ThresholdSigns(float[] input, int channels, int plane, Func<int, float, bool> fires)
    {
        var output = new float[input.Length];
        for (var i = 0; i < input.Length; i++) output[i] = fires(i / plane % channels, input[i]) ? 1f : -1f;
        return output;
    }

    /// <summary>
    /// Random integer thresholds around typical accumulators (|τ| ≤ <paramref name="scale"/>), every mode: channel
    /// c % 7 = 0 constant (alternating always +1 / always −1), 1 and 3 acc ≤ τ, the rest acc ≥ τ.
    /// </summary>
    public static SignThreshold[] RandomThresholds(Random random, int channels, float scale)
    {
        var thresholds = new SignThreshold[channels];
        for (var c = 0; c < channels; c++)
        {
            var tau = (int)MathF.Round((float)(random.NextDouble() * 2 - 1) * scale);
            thresholds[c] = (c % 7) switch
            {
                0 => new SignThreshold(0, c % 14 == 0 ? SignThresholdMode.AlwaysPlus : SignThresholdMode.AlwaysMinus),
                1 or 3 => new SignThreshold(tau, SignThresholdMode.AtMost),
                _ => new SignThreshold(tau, SignThresholdMode.AtLeast),
            };
        }
        return thresholds;
    }

    /// <summary>
    /// Random float thresholds (|t| ≤ <paramref name="scale"/>), every kind: channel c % 7 = 0 constant (−∞: always
    /// +1, alternating with NaN: never), 1 and 3 x ≤ t, the rest x ≥ t.
    /// </summary>
    public static FloatSignThreshold[] RandomFloatThresholds(Random random, int channels, float scale)
    {
        var thresholds = new FloatSignThreshold[channels];
        for (var c = 0; c < channels; c++)
        {
            var t = (float)(random.NextDouble() * 2 - 1) * scale;
            thresholds[c] = (c % 7) switch
            {
                0 => c % 14 == 0 ? new FloatSignThreshold(float.NegativeInfinity, false) : new FloatSignThreshold(float.NaN, c % 28 == 7),
                1 or 3 => new FloatSignThreshold(t, true),
                _ => new FloatSignThreshold(t, false),
            };
        }
        return thresholds;
    }
}
