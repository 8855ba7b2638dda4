using System.Numerics;

namespace Ddnn.Kernels.Binary;

/// <summary>
/// XOR-popcount reductions over packed ±1 words (bit 1 = +1, bit 0 = −1, see <see cref="BitPacking"/>).
/// For two ±1 vectors of K entries packed with zero tails, dot = K − 2·popcount(a XOR b).
/// </summary>
public static unsafe class BinaryDot
{
    /// <summary>
    /// Number of differing bits between <paramref name="a"/> and <paramref name="b"/> (popcount of a XOR b)
    /// on the active <see cref="KernelDispatch"/> path. This is the ceiling loop of every binary kernel.
    /// </summary>
    public static long XorPopCount(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b)
    {
        if (a.Length != b.Length)
            throw new ArgumentException($"a has {a.Length} words but b has {b.Length}; they must match.", nameof(b));
        fixed (ulong* pa = a)
        fixed (ulong* pb = b)
            return Count(pa, pb, a.Length, KernelDispatch.Active);
    }

    /// <summary>
    /// The ±1 dot product of two packed vectors of <paramref name="bits"/> entries:
    /// bits − 2·popcount(a XOR b). Both spans must be exactly <c>WordsFor(bits)</c> words with zero tail bits.
    /// </summary>
    public static long Dot(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, int bits)
    {
        BinaryArgs.Positive(bits, nameof(bits));
        var words = BitPacking.WordsFor(bits);
        BinaryArgs.Length(a, words, nameof(a), "({0} bits = {1} words)", bits, words);
        BinaryArgs.Length(b, words, nameof(b), "({0} bits = {1} words)", bits, words);
        return bits - 2 * XorPopCount(a, b);
    }

    /// <summary>
    /// popcount(<paramref name="vector"/> XOR row r) for every row of <paramref name="rows"/> (consecutive runs of
    /// vector.Length words) into <paramref name="counts"/>: one checked call for a whole binary matrix-vector product.
    /// Vectors of up to <see cref="ShortWords"/> words (an exit over a small feature map) are counted with scalar popcnt
    /// on every path, which beats setting up a SIMD reduction per row; the counts are exact either way.
    /// </summary>
    public static void XorPopCounts(ReadOnlySpan<ulong> vector, ReadOnlySpan<ulong> rows, Span<int> counts)
    {
        var words = vector.Length;
        if (words == 0) throw new ArgumentException("vector is empty.", nameof(vector));
        if (rows.Length != (long)counts.Length * words)
            throw new ArgumentException(
                $"rows has {rows.Length} words but {counts.Length} counts of {words}-word rows need {(long)counts.Length * words}.", nameof(rows));
        fixed (ulong* pv = vector)
        fixed (ulong* pr = rows)
        fixed (int* pc = counts)
        {
            if (words > ShortWords)
            {
                var path = KernelDispatch.Active;
                for (var r = 0; r < counts.Length; r++) pc[r] = (int)Count(pv, pr + (long)r * words, words, path);
                return;
            }
            var row = pr;
            for (var r = 0; r < counts.Length; r++, row += words)
            {
                var differing = 0;
                for (var w = 0; w < words; w++) differing += BitOperations.PopCount(pv[w] ^ row[w]);
                pc[r] = differing;
            }
        }
    }

    /// <summary>Longest vector <see cref="XorPopCounts"/> counts with scalar popcnt on every path.</summary>
    internal const int ShortWords = 8;

    internal static long Count(ulong* a, ulong* b, int words, KernelPath path) => path switch
    {
        KernelPath.Avx512 => Avx512XorPopCounter.Count(a, b, words),
        KernelPath.Avx2 => Avx2XorPopCounter.Count(a, b, words),
        KernelPath.Vector128 => Vector128XorPopCounter.Count(a, b, words),
        _ => ScalarXorPopCounter.Count(a, b, words),
    };
}
