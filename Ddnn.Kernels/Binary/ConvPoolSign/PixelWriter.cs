using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ddnn.Kernels.Binary;

/// <summary>
/// Writes pooled bits into the NHWC-packed image: a channel group's (≤ 4) bits of eight pixels at once, spread to one
/// byte per pixel (pdep, or its scalar twin), stored or ORed into the pixels' words.
/// </summary>
internal static unsafe class PixelWriter
{
    /// <summary>
    /// Four lanes' pooled bits (bit px of <paramref name="p0"/> … = pixel px) into one pooled row of the packed image,
    /// at bit <paramref name="shift"/> of each pixel's word: the lanes' bits spread to one byte per pixel, ORed into the
    /// cleared words, or simply stored where this group is the words' <paramref name="firstWriter"/> and fills them
    /// (one word per pixel, channels 0–3) — the image then needs no clearing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void WritePixels(ulong* bits, int words, int shift, int wp, ulong p0, ulong p1, ulong p2, ulong p3,
        bool firstWriter, bool vectorised)
    {
        for (var px0 = 0; px0 < wp; px0 += 8)
        {
            var pixels = SpreadToBytes((p0 >> px0) & 0xFF, vectorised) | SpreadToBytes((p1 >> px0) & 0xFF, vectorised) << 1
                | SpreadToBytes((p2 >> px0) & 0xFF, vectorised) << 2 | SpreadToBytes((p3 >> px0) & 0xFF, vectorised) << 3;
            var end = Math.Min(8, wp - px0);
            if (firstWriter && words == 1 && shift == 0)
            {
                if (end == 8 && vectorised && Avx2.IsSupported) StoreEightPixels(bits + px0, pixels);
                else
                    for (var i = 0; i < end; i++) bits[px0 + i] = (pixels >> (8 * i)) & 0xFF;
                continue;
            }
            for (var i = 0; i < end; i++)
                bits[(long)(px0 + i) * words] |= ((pixels >> (8 * i)) & 0xFF) << shift;
        }
    }

    /// <summary>Eight pixel bytes zero-extended into eight consecutive words: two vector stores (AVX2 only).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void StoreEightPixels(ulong* destination, ulong pixels)
    {
        var bytes = Vector128.CreateScalar(pixels).AsByte();
        Avx2.ConvertToVector256Int64(bytes).AsUInt64().Store(destination);
        Avx2.ConvertToVector256Int64(Sse2.ShiftRightLogical128BitLane(bytes, 4)).AsUInt64().Store(destination + 4);
    }

    /// <summary>Bit i of the low byte of <paramref name="bits"/> moved to bit 8·i; pdep when BMI2 is there, else the scalar twin.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong SpreadToBytes(ulong bits, bool vectorised)
    {
        if (vectorised && Bmi2.X64.IsSupported) return Bmi2.X64.ParallelBitDeposit(bits, 0x0101010101010101UL);
        ulong spread = 0;
        for (var i = 0; i < 8; i++) spread |= ((bits >> i) & 1UL) << (8 * i);
        return spread;
    }
}
