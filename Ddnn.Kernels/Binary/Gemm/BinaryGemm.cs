namespace Ddnn.Kernels.Binary;

/// <summary>
/// Binary matrix product by XOR + popcount: for packed ±1 rows a_i of A <c>(m, words)</c> and b_j of B <c>(n, words)</c>,
/// C[i, j] = K − 2·popcount(a_i XOR b_j) (int32, row-major <c>(m, n)</c>), where K is the number of real bits.
/// Both operands are rows (B is "transposed"), tail bits must be zero on both sides.
/// </summary>
public static unsafe class BinaryGemm
{
    /// <summary>Below this many word-pairs a call stays on one thread.</summary>
    private const long MinWordPairsPerThread = 1 << 16;

    /// <summary>Columns of C handled together so the B rows of a block stay in L1 while every A row passes over them.</summary>
    private const int ColumnBlock = 64;

    /// <summary>
    /// Rows of at most this many words use the register-tiled scalar kernel on the 128- and 256-bit paths (on AVX-512,
    /// rows below <see cref="TiledAvx512Gemm.MinWords"/>).
    /// </summary>
    internal const int ShortRowWords = 16;

    /// <summary>
    /// C = K − 2·popcount(A XOR Bᵀ) for A <c>(m, WordsFor(bits))</c>, B <c>(n, WordsFor(bits))</c>, C <c>(m, n)</c>.
    /// </summary>
    public static void Multiply(ReadOnlySpan<ulong> a, int m, ReadOnlySpan<ulong> b, int n, int bits, Span<int> c)
    {
        BinaryArgs.Positive(bits, nameof(bits));
        Multiply(a, m, b, n, BitPacking.WordsFor(bits), bits, c);
    }

    /// <summary>
    /// As <see cref="Multiply(ReadOnlySpan{ulong}, int, ReadOnlySpan{ulong}, int, int, Span{int})"/> for rows of
    /// <paramref name="wordsPerRow"/> words holding <paramref name="bits"/> real bits in total, wherever they sit
    /// (e.g. a packed feature map with a zero tail per pixel); every unused bit must be zero in both operands.
    /// </summary>
    public static void Multiply(ReadOnlySpan<ulong> a, int m, ReadOnlySpan<ulong> b, int n, int wordsPerRow, int bits, Span<int> c)
    {
        BinaryArgs.Positive(m, nameof(m));
        BinaryArgs.Positive(n, nameof(n));
        BinaryArgs.Positive(wordsPerRow, nameof(wordsPerRow));
        BinaryArgs.Positive(bits, nameof(bits));
        if (bits > 64L * wordsPerRow)
            throw new ArgumentOutOfRangeException(nameof(bits), bits,
                $"bits ({bits}) cannot exceed 64 x wordsPerRow ({wordsPerRow}).");
        BinaryArgs.Length(a, BinaryArgs.Product("a", m, wordsPerRow), nameof(a), "(m={0}, words={1})", m, wordsPerRow);
        BinaryArgs.Length(b, BinaryArgs.Product("b", n, wordsPerRow), nameof(b), "(n={0}, words={1})", n, wordsPerRow);
        BinaryArgs.Length(c, BinaryArgs.Product("c", m, n), nameof(c), "(m={0}, n={1})", m, n);
        fixed (ulong* pa = a)
        fixed (ulong* pb = b)
        fixed (int* pc = c)
            Run(pa, m, pb, n, wordsPerRow, bits, pc, n, KernelDispatch.Active);
    }

    /// <summary>Unchecked core: C[i * ldc + j] for i &lt; m, j &lt; n, split over columns across threads.</summary>
    internal static void Run(ulong* a, int m, ulong* b, int n, int words, int bits, int* c, int ldc, KernelPath path)
    {
        var work = (long)m * n * words;
        var parts = (int)Math.Min(Math.Min(KernelParallelism.MaxThreads, n), Math.Max(1, work / MinWordPairsPerThread));
        if (parts <= 1)
        {
            RunColumns(a, m, b, 0, n, words, bits, c, ldc, path);
            return;
        }
        RunParallel(a, m, b, n, words, bits, c, ldc, path, parts);
    }

    /// <summary>Kept apart from <see cref="Run"/> so its closure is only allocated when threads are actually used.</summary>
    private static void RunParallel(ulong* a, int m, ulong* b, int n, int words, int bits, int* c, int ldc, KernelPath path,
        int parts)
    {
        nint pa = (nint)a, pb = (nint)b, pc = (nint)c;
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
        {
            var start = (int)((long)n * part / parts);
            var end = (int)((long)n * (part + 1) / parts);
            RunColumns((ulong*)pa, m, (ulong*)pb, start, end, words, bits, (int*)pc, ldc, path);
        });
    }

    private static void RunColumns(ulong* a, int m, ulong* b, int start, int end, int words, int bits, int* c, int ldc,
        KernelPath path)
    {
        switch (path)
        {
            case KernelPath.Avx512 when words >= TiledAvx512Gemm.MinWords: TiledAvx512Gemm.RunColumns(a, m, b, start, end, words, bits, c, ldc); break;
            case KernelPath.Avx512:
            case KernelPath.Avx2: RunColumns<Avx2XorPopCounter>(a, m, b, start, end, words, bits, c, ldc); break;
            case KernelPath.Vector128: RunColumns<Vector128XorPopCounter>(a, m, b, start, end, words, bits, c, ldc); break;
            default: RunColumns<ScalarXorPopCounter>(a, m, b, start, end, words, bits, c, ldc); break;
        }
    }

    private static void RunColumns<TCounter>(ulong* a, int m, ulong* b, int start, int end, int words, int bits, int* c,
        int ldc) where TCounter : struct, IXorPopCounter
    {
        // Short rows (3x3 conv patches of up to a few hundred channels) are dominated by per-dot overhead and the
        // horizontal sums of the vector counters; the register-tiled popcnt kernel wins there on every path.
        var tiled = typeof(TCounter) == typeof(ScalarXorPopCounter) || words <= ShortRowWords;
        for (var j0 = start; j0 < end; j0 += ColumnBlock)
        {
            var j1 = Math.Min(end, j0 + ColumnBlock);
            var i = 0;
            if (tiled)
            {
                for (; i + 2 <= m; i += 2)
                {
                    var j = j0;
                    for (; j + 4 <= j1; j += 4)
                        ScalarTile.Count2x4(a + (long)i * words, b + (long)j * words, words, bits, c + (long)i * ldc + j, ldc);
                    DotRange<ScalarXorPopCounter>(a, i, i + 2, b, j, j1, words, bits, c, ldc);
                }
                DotRange<ScalarXorPopCounter>(a, i, m, b, j0, j1, words, bits, c, ldc);
            }
            else
            {
                DotRange<TCounter>(a, 0, m, b, j0, j1, words, bits, c, ldc);
            }
        }
    }

    /// <summary>One dot per output for rows [i0, i1) and columns [j0, j1).</summary>
    private static void DotRange<TCounter>(ulong* a, int i0, int i1, ulong* b, int j0, int j1, int words, int bits, int* c,
        int ldc) where TCounter : struct, IXorPopCounter
    {
        for (var i = i0; i < i1; i++)
        {
            var row = a + (long)i * words;
            var cRow = c + (long)i * ldc;
            var col = b + (long)j0 * words;
            for (var j = j0; j < j1; j++, col += words)
                cRow[j] = bits - 2 * (int)TCounter.Count(row, col, words);
        }
    }
}
