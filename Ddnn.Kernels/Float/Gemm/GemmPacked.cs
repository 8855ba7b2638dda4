using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Runtime.CompilerServices;

namespace Ddnn.Kernels;

/// <summary>
/// Blocked, packed GEMM (Goto/BLIS loop nest) around a register-blocked micro-kernel. Packing absorbs the
/// transposes and zero-pads edge strips; edge tiles are computed into a local tile and merged. Each C element is
/// accumulated over k in order inside each KC block, independent of any thread split.
/// </summary>
internal static unsafe class GemmPacked
{
    internal const int KC = 256;
    internal const int MC = 128;
    internal const int NC = 3072;

    [ThreadStatic] private static float[]? _packASlot;
    [ThreadStatic] private static float[]? _packBSlot;

    public static void Multiply<TKernel>(bool transposeA, bool transposeB, int m, int n, int k,
        float* a, int lda, float* b, int ldb, float* c, int ldc, bool accumulate, float* bias, float* prepackedA = null)
        where TKernel : struct, IMicroKernel
    {
        if (k == 0)
        {
            FinishEmptyProduct(m, n, c, ldc, accumulate, bias);
            return;
        }

        int mr = TKernel.Mr, nr = TKernel.Nr;
        if (prepackedA != null && (mr != SharedMr || k > KC))
            throw new InvalidOperationException($"pre-packed A needs Mr = {SharedMr} and k <= {KC}.");
        var kcMax = Math.Min(KC, k);
        var packA = prepackedA != null ? null : Scratch.Get(ref _packASlot, (long)RoundUp(Math.Min(MC, m), mr) * kcMax);
        var packB = Scratch.Get(ref _packBSlot, (long)RoundUp(Math.Min(NC, n), nr) * kcMax);
        var tile = stackalloc float[TKernel.Mr * TKernel.Nr];

        for (var jc = 0; jc < n; jc += NC)
        {
            var nc = Math.Min(NC, n - jc);
            for (var pc = 0; pc < k; pc += KC)
            {
                var kc = Math.Min(KC, k - pc);
                PackB(transposeB, b, ldb, pc, jc, kc, nc, nr, packB);
                var loadC = accumulate || pc > 0;
                var blockBias = pc == 0 && bias != null ? bias + jc : null;
                for (var ic = 0; ic < m; ic += MC)
                {
                    var mc = Math.Min(MC, m - ic);
                    var aBlock = prepackedA != null ? prepackedA + (long)ic * kc : packA;
                    if (prepackedA == null) PackA(transposeA, a, lda, ic, pc, mc, kc, mr, packA);
                    for (var jr = 0; jr < nc; jr += nr)
                    {
                        var nrEff = Math.Min(nr, nc - jr);
                        var bStrip = packB + (long)jr * kc;
                        var stripBias = blockBias != null ? blockBias + jr : null;
                        for (var ir = 0; ir < mc; ir += mr)
                        {
                            var mrEff = Math.Min(mr, mc - ir);
                            var cTile = c + (long)(ic + ir) * ldc + jc + jr;
                            var aStrip = aBlock + (long)ir * kc;
                            if (mrEff == mr && nrEff == nr)
                            {
                                TKernel.Run(kc, aStrip, bStrip, cTile, ldc, loadC, stripBias);
                            }
                            else
                            {
                                TKernel.RunEdge(kc, aStrip, bStrip, tile, nrEff);
                                MergeTile(tile, nr, cTile, ldc, mrEff, nrEff, loadC, stripBias);
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>Row-strip height shared by every packed micro-kernel, so one packing of A serves all SIMD paths.</summary>
    internal const int SharedMr = 4;

    /// <summary>Length of <see cref="PackWholeA"/>'s output.</summary>
    internal static long PackedALength(int m, int k) => (long)RoundUp(m, SharedMr) * k;

    /// <summary>
    /// Packs all of op(A) (k ≤ <see cref="KC"/>) once, for reuse across many products with the same A
    /// (convolution weights across the images of a batch).
    /// </summary>
    internal static void PackWholeA(bool transposeA, float* a, int lda, int m, int k, float* dst)
    {
        if (k > KC) throw new InvalidOperationException($"whole-A packing needs k <= {KC}, got {k}.");
        PackA(transposeA, a, lda, 0, 0, m, k, SharedMr, dst);
    }

    /// <summary>
    /// C (m × strips·Nr, overwritten) = A·B with both operands already packed: A by <see cref="PackWholeA"/>, B as
    /// <paramref name="strips"/> consecutive kc×Nr strips (the layout <see cref="PackB"/> writes), k ≤ <see cref="KC"/>.
    /// For callers that write B straight into the packed layout; each element is summed as <see cref="Multiply{TKernel}"/>
    /// sums it.
    /// </summary>
    internal static void MultiplyPacked<TKernel>(int m, int strips, int k, float* packedA, float* packedB, float* c, int ldc)
        where TKernel : struct, IMicroKernel
    {
        int mr = TKernel.Mr, nr = TKernel.Nr;
        if (mr != SharedMr || k < 1 || k > KC) throw new InvalidOperationException($"packed operands need Mr = {SharedMr} and 1 <= k <= {KC}.");
        var tile = stackalloc float[TKernel.Mr * TKernel.Nr];
        for (var jr = 0; jr < strips; jr++)
        {
            var bStrip = packedB + (long)jr * k * nr;
            for (var ir = 0; ir < m; ir += mr)
            {
                var rows = Math.Min(mr, m - ir);
                var cTile = c + (long)ir * ldc + (long)jr * nr;
                var aStrip = packedA + (long)ir * k;
                if (rows == mr)
                {
                    TKernel.Run(k, aStrip, bStrip, cTile, ldc, false, null);
                }
                else
                {
                    TKernel.RunEdge(k, aStrip, bStrip, tile, nr);
                    MergeTile(tile, nr, cTile, ldc, rows, nr, false, null);
                }
            }
        }
    }

    /// <summary>C = (accumulate ? C : 0) + bias when k = 0 (the product is empty).</summary>
    private static void FinishEmptyProduct(int m, int n, float* c, int ldc, bool accumulate, float* bias)
    {
        for (var i = 0; i < m; i++)
        {
            var row = c + (long)i * ldc;
            for (var j = 0; j < n; j++)
            {
                var v = accumulate ? row[j] : 0f;
                row[j] = bias != null ? v + bias[j] : v;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MergeTile(float* tile, int ldt, float* c, int ldc, int rows, int cols, bool loadC, float* bias)
    {
        for (var r = 0; r < rows; r++)
        {
            var src = tile + r * ldt;
            var dst = c + (long)r * ldc;
            for (var j = 0; j < cols; j++)
            {
                var v = loadC ? src[j] + dst[j] : src[j];
                dst[j] = bias != null ? v + bias[j] : v;
            }
        }
    }

    /// <summary>Packs op(A)[ic..ic+mc, pc..pc+kc] into Mr-row strips, each kc×Mr, zero-padding the last strip.</summary>
    private static void PackA(bool transposed, float* a, int lda, int ic, int pc, int mc, int kc, int mr, float* dst)
    {
        for (var ir = 0; ir < mc; ir += mr)
        {
            var rows = Math.Min(mr, mc - ir);
            if (transposed)
            {
                // A stored k×m: column p of op(A) is contiguous in row p of A.
                var src = a + (long)pc * lda + ic + ir;
                for (var p = 0; p < kc; p++, src += lda, dst += mr)
                {
                    var r = 0;
                    for (; r < rows; r++) dst[r] = src[r];
                    for (; r < mr; r++) dst[r] = 0;
                }
            }
            else if (rows == 4 && mr == 4 && Sse.IsSupported)
            {
                InterleaveFourRows(a + (long)(ic + ir) * lda + pc, lda, kc, dst);
                dst += (long)kc * mr;
            }
            else
            {
                var r = 0;
                for (; r < rows; r++)
                {
                    var src = a + (long)(ic + ir + r) * lda + pc;
                    var d = dst + r;
                    for (var p = 0; p < kc; p++, d += mr) *d = src[p];
                }
                for (; r < mr; r++)
                {
                    var d = dst + r;
                    for (var p = 0; p < kc; p++, d += mr) *d = 0;
                }
                dst += (long)kc * mr;
            }
        }
    }

    /// <summary>dst[p·4 + r] = src[r·lds + p] for r in [0, 4), p in [0, kc): 4×4 SSE transposes, the k tail by element.</summary>
    private static void InterleaveFourRows(float* src, int lds, int kc, float* dst)
    {
        float* s0 = src, s1 = src + lds, s2 = src + 2 * lds, s3 = src + 3 * lds;
        var p = 0;
        for (; p <= kc - 4; p += 4, dst += 16)
        {
            var t0 = Sse.UnpackLow(Sse.LoadVector128(s0 + p), Sse.LoadVector128(s1 + p));
            var t1 = Sse.UnpackLow(Sse.LoadVector128(s2 + p), Sse.LoadVector128(s3 + p));
            var t2 = Sse.UnpackHigh(Sse.LoadVector128(s0 + p), Sse.LoadVector128(s1 + p));
            var t3 = Sse.UnpackHigh(Sse.LoadVector128(s2 + p), Sse.LoadVector128(s3 + p));
            Sse.Store(dst, Sse.MoveLowToHigh(t0, t1));
            Sse.Store(dst + 4, Sse.MoveHighToLow(t1, t0));
            Sse.Store(dst + 8, Sse.MoveLowToHigh(t2, t3));
            Sse.Store(dst + 12, Sse.MoveHighToLow(t3, t2));
        }
        for (; p < kc; p++, dst += 4)
        {
            dst[0] = s0[p];
            dst[1] = s1[p];
            dst[2] = s2[p];
            dst[3] = s3[p];
        }
    }

    /// <summary>Packs op(B)[pc..pc+kc, jc..jc+nc] into Nr-column strips, each kc×Nr, zero-padding the last strip.</summary>
    private static void PackB(bool transposed, float* b, int ldb, int pc, int jc, int kc, int nc, int nr, float* dst)
    {
        for (var jr = 0; jr < nc; jr += nr)
        {
            var cols = Math.Min(nr, nc - jr);
            if (!transposed)
            {
                var src = b + (long)pc * ldb + jc + jr;
                if (cols == nr && nr % 16 == 0 && Vector512.IsHardwareAccelerated)
                {
                    for (var p = 0; p < kc; p++, src += ldb, dst += nr)
                        for (var j = 0; j < nr; j += 16) Vector512.Store(Vector512.Load(src + j), dst + j);
                }
                else if (cols == nr && nr % 8 == 0 && Vector256.IsHardwareAccelerated)
                {
                    // Whole-strip rows by vector moves: a short variable-size block copy costs a call per row.
                    for (var p = 0; p < kc; p++, src += ldb, dst += nr)
                        for (var j = 0; j < nr; j += 8) Vector256.Store(Vector256.Load(src + j), dst + j);
                }
                else if (cols == nr)
                {
                    for (var p = 0; p < kc; p++, src += ldb, dst += nr)
                        Unsafe.CopyBlockUnaligned(dst, src, (uint)(nr * sizeof(float)));
                }
                else
                {
                    for (var p = 0; p < kc; p++, src += ldb, dst += nr)
                    {
                        var j = 0;
                        for (; j <= cols - 4; j += 4) Vector128.Store(Vector128.Load(src + j), dst + j);
                        for (; j < cols; j++) dst[j] = src[j];
                        for (; j < nr; j++) dst[j] = 0;
                    }
                }
            }
            else
            {
                // B stored n×k: row j of B is column j of op(B).
                var j = 0;
                var p0 = 0;
                var blocked = Avx.IsSupported ? cols / 8 * 8 : 0;
                if (blocked > 0)
                {
                    // whole 8×8 blocks by AVX transposes (exact data movement); their k tail and the columns
                    // past the last whole block below
                    for (; p0 <= kc - 8; p0 += 8)
                        for (var j8 = 0; j8 < blocked; j8 += 8)
                            Transpose8x8.Run(b + (long)(jc + jr + j8) * ldb + pc + p0, ldb, dst + (long)p0 * nr + j8, nr);
                }
                for (; j < cols; j++)
                {
                    var first = j < blocked ? p0 : 0;
                    var src = b + (long)(jc + jr + j) * ldb + pc;
                    var d = dst + (long)first * nr + j;
                    for (var p = first; p < kc; p++, d += nr) *d = src[p];
                }
                for (; j < nr; j++)
                {
                    var d = dst + j;
                    for (var p = 0; p < kc; p++, d += nr) *d = 0;
                }
                dst += (long)kc * nr;
            }
        }
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}
