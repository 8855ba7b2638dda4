using System.Numerics;

namespace Ddnn.Kernels.Binary;

/// <summary>
/// Register-tiled XOR-popcount: 2 rows of A against 4 rows of B, eight independent popcnt chains, each loaded word
/// reused 2 or 4 times. Beats one dot at a time when rows are short (no per-dot loop set-up or horizontal sums).
/// </summary>
internal static unsafe class ScalarTile
{
    /// <summary>C[r * ldc + q] = bits − 2·popcount(a_r XOR b_q) for r &lt; 2, q &lt; 4; rows are contiguous, words apart.</summary>
    public static void Count2x4(ulong* a, ulong* b, int words, int bits, int* c, int ldc)
    {
        long c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        ulong* a0 = a, a1 = a + words, b0 = b, b1 = b + words, b2 = b + 2 * words, b3 = b + 3 * words;
        var end = a0 + words;
        while (a0 < end)
        {
            ulong x0 = *a0, x1 = *a1, y0 = *b0, y1 = *b1, y2 = *b2, y3 = *b3;
            c00 += BitOperations.PopCount(x0 ^ y0);
            c01 += BitOperations.PopCount(x0 ^ y1);
            c02 += BitOperations.PopCount(x0 ^ y2);
            c03 += BitOperations.PopCount(x0 ^ y3);
            c10 += BitOperations.PopCount(x1 ^ y0);
            c11 += BitOperations.PopCount(x1 ^ y1);
            c12 += BitOperations.PopCount(x1 ^ y2);
            c13 += BitOperations.PopCount(x1 ^ y3);
            a0++; a1++; b0++; b1++; b2++; b3++;
        }
        c[0] = bits - 2 * (int)c00;
        c[1] = bits - 2 * (int)c01;
        c[2] = bits - 2 * (int)c02;
        c[3] = bits - 2 * (int)c03;
        c[ldc] = bits - 2 * (int)c10;
        c[ldc + 1] = bits - 2 * (int)c11;
        c[ldc + 2] = bits - 2 * (int)c12;
        c[ldc + 3] = bits - 2 * (int)c13;
    }
}
