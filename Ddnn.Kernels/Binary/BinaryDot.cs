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

    internal static long Count(ulong* a, ulong* b, int words, KernelPath path) => path switch
    {
        KernelPath.Avx2 => Avx2XorPopCounter.Count(a, b, words),
        KernelPath.Vector128 => Vector128XorPopCounter.Count(a, b, words),
        _ => ScalarXorPopCounter.Count(a, b, words),
    };
}
