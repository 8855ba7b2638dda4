using System.Buffers;
using System.Numerics;

namespace Ddnn.Kernels.Binary;

/// <summary>
/// Binary 2-D cross-correlation on NHWC-packed ±1 input with packed ±1 weights, producing exact int32 accumulators
/// <c>(N, Cout, Ho, Wo)</c> equal to the float cross-correlation of the same ±1 values with ZERO padding.
/// </summary>
/// <remarks>
/// Each output is validTaps·C − 2·popcount over its valid taps. It is computed as a packed im2col (padded taps become
/// zero words) followed by <see cref="BinaryGemm"/> over all kH·kW taps, then border outputs are corrected: a padded
/// tap compared zero words with the weights, adding popcount(w_tap) differing bits and C to K that must not count,
/// so acc = gemm − paddedTaps·C + 2·Σ_padded popcount(w_tap) (the Larq "zero padding correction").
/// The same path serves 3x3 stride-1 layers (each kernel row of an interior output is one contiguous kW·words copy)
/// and any kernel/stride/padding.
/// </remarks>
public static unsafe class BinaryConv2d
{
    /// <summary>
    /// Computes int32 accumulators <paramref name="output"/> <c>(N, Cout, Ho, Wo)</c> from packed input
    /// <c>(N, H, W, WordsPerPixel)</c> and packed weights <c>(Cout, kH, kW, WordsPerPixel)</c>.
    /// </summary>
    public static void Forward(ReadOnlySpan<ulong> input, ReadOnlySpan<ulong> weights, BinaryConvGeometry geometry, Span<int> output)
    {
        CheckPacked(input, weights, geometry);
        BinaryArgs.Length(output, geometry.OutputLength, nameof(output),
            "(N={0}, Cout={1}, Ho={2}, Wo={3})", geometry.Batch, geometry.OutChannels, geometry.OutHeight, geometry.OutWidth);

        using var workspace = new Workspace(geometry, weights);
        var imageWords = geometry.Height * geometry.Width * geometry.WordsPerPixel;
        var imageOutputs = geometry.OutChannels * geometry.OutHeight * geometry.OutWidth;
        fixed (ulong* pin = input)
        fixed (int* pout = output)
            for (var n = 0; n < geometry.Batch; n++)
                workspace.Convolve(pin + (long)n * imageWords, pout + (long)n * imageOutputs);
    }

    /// <summary>Checks the packed input and weight lengths against <paramref name="geometry"/>.</summary>
    internal static void CheckPacked(ReadOnlySpan<ulong> input, ReadOnlySpan<ulong> weights, BinaryConvGeometry geometry)
    {
        CheckGeometry(geometry);
        BinaryArgs.Length(input, geometry.PackedInputLength, nameof(input),
            "(N={0}, H={1}, W={2}, words={3})", geometry.Batch, geometry.Height, geometry.Width, geometry.WordsPerPixel);
        CheckWeights(weights, geometry);
    }

    internal static void CheckWeights(ReadOnlySpan<ulong> weights, BinaryConvGeometry geometry) =>
        BinaryArgs.Length(weights, geometry.PackedWeightsLength, nameof(weights),
            "(Cout={0}, kH={1}, kW={2}, words={3})", geometry.OutChannels, geometry.KernelH, geometry.KernelW, geometry.WordsPerPixel);

    internal static void CheckGeometry(BinaryConvGeometry geometry)
    {
        if (geometry.Batch == 0)
            throw new ArgumentException("geometry is uninitialised (default); build it with its constructor.", nameof(geometry));
    }

    /// <summary>Per-call scratch: packed patches of one image, weight tap popcounts and the pinned weights.</summary>
    internal sealed class Workspace : IDisposable
    {
        private readonly BinaryConvGeometry _g;
        private readonly ulong[] _patches;
        private readonly int[] _tapPopCounts;
        private readonly ulong[] _weights;
        private readonly ulong[]? _interleaved;
        private readonly KernelPath _path = KernelDispatch.Active;

        public Workspace(BinaryConvGeometry geometry, ReadOnlySpan<ulong> weights)
        {
            _g = geometry;
            _patches = ArrayPool<ulong>.Shared.Rent(geometry.OutHeight * geometry.OutWidth * geometry.Taps * geometry.WordsPerPixel);
            _tapPopCounts = ArrayPool<int>.Shared.Rent(geometry.OutChannels * geometry.Taps);
            _weights = ArrayPool<ulong>.Shared.Rent(weights.Length);
            if (_path == KernelPath.Avx2)
                _interleaved = ArrayPool<ulong>.Shared.Rent(
                    InterleavedAvx2Gemm.InterleavedLength(geometry.OutHeight * geometry.OutWidth, geometry.Taps * geometry.WordsPerPixel));
            weights.CopyTo(_weights);
            var words = geometry.WordsPerPixel;
            for (var t = 0; t < geometry.OutChannels * geometry.Taps; t++)
            {
                var count = 0;
                foreach (var w in weights.Slice(t * words, words)) count += BitOperations.PopCount(w);
                _tapPopCounts[t] = count;
            }
        }

        /// <summary>Accumulators <c>(Cout, Ho, Wo)</c> of one packed image <c>(H, W, words)</c>.</summary>
        public void Convolve(ulong* image, int* output)
        {
            var pixels = _g.OutHeight * _g.OutWidth;
            var rowWords = _g.Taps * _g.WordsPerPixel;
            fixed (ulong* patches = _patches)
            fixed (ulong* weights = _weights)
            {
                Im2Col(image, patches);
                var bits = _g.Taps * _g.InChannels;
                if (_interleaved is null)
                {
                    BinaryGemm.Run(weights, _g.OutChannels, patches, pixels, rowWords, bits, output, pixels, _path);
                }
                else
                {
                    fixed (ulong* interleaved = _interleaved)
                    {
                        InterleavedAvx2Gemm.Interleave(patches, pixels, rowWords, interleaved);
                        InterleavedAvx2Gemm.Run(weights, _g.OutChannels, interleaved, pixels, rowWords, bits, output, pixels);
                    }
                }
            }
            CorrectPaddedTaps(output);
        }

        private void Im2Col(ulong* image, ulong* patches)
        {
            int words = _g.WordsPerPixel, kh = _g.KernelH, kw = _g.KernelW, s = _g.Stride, pad = _g.Padding;
            var dst = patches;
            for (var oy = 0; oy < _g.OutHeight; oy++)
            for (var ox = 0; ox < _g.OutWidth; ox++)
            {
                var ix0 = ox * s - pad;
                var kxStart = Math.Max(0, -ix0);
                var kxEnd = Math.Min(kw, _g.Width - ix0);
                for (var ky = 0; ky < kh; ky++, dst += kw * words)
                {
                    var iy = oy * s - pad + ky;
                    if (iy < 0 || iy >= _g.Height)
                    {
                        new Span<ulong>(dst, kw * words).Clear();
                        continue;
                    }
                    if (kxStart > 0) new Span<ulong>(dst, kxStart * words).Clear();
                    var src = image + ((long)iy * _g.Width + ix0 + kxStart) * words;
                    Buffer.MemoryCopy(src, dst + kxStart * words, (kxEnd - kxStart) * words * 8L, (kxEnd - kxStart) * words * 8L);
                    if (kxEnd < kw) new Span<ulong>(dst + kxEnd * words, (kw - kxEnd) * words).Clear();
                }
            }
        }

        private void CorrectPaddedTaps(int* output)
        {
            int kh = _g.KernelH, kw = _g.KernelW, s = _g.Stride, pad = _g.Padding, taps = _g.Taps;
            var pixels = _g.OutHeight * _g.OutWidth;
            for (var oy = 0; oy < _g.OutHeight; oy++)
            {
                var iy0 = oy * s - pad;
                var kyStart = Math.Max(0, -iy0);
                var kyEnd = Math.Min(kh, _g.Height - iy0);
                for (var ox = 0; ox < _g.OutWidth; ox++)
                {
                    var ix0 = ox * s - pad;
                    var kxStart = Math.Max(0, -ix0);
                    var kxEnd = Math.Min(kw, _g.Width - ix0);
                    var validTaps = (kyEnd - kyStart) * (kxEnd - kxStart);
                    if (validTaps == taps) continue;
                    var bias = -(taps - validTaps) * _g.InChannels;
                    var p = oy * _g.OutWidth + ox;
                    for (var co = 0; co < _g.OutChannels; co++)
                    {
                        var tapCounts = _tapPopCounts.AsSpan(co * taps, taps);
                        var padded = 0;
                        for (var ky = 0; ky < kh; ky++)
                        for (var kx = 0; kx < kw; kx++)
                            if (ky < kyStart || ky >= kyEnd || kx < kxStart || kx >= kxEnd)
                                padded += tapCounts[ky * kw + kx];
                        output[(long)co * pixels + p] += bias + 2 * padded;
                    }
                }
            }
        }

        public void Dispose()
        {
            ArrayPool<ulong>.Shared.Return(_patches);
            ArrayPool<int>.Shared.Return(_tapPopCounts);
            ArrayPool<ulong>.Shared.Return(_weights);
            if (_interleaved is not null) ArrayPool<ulong>.Shared.Return(_interleaved);
        }
    }
}
