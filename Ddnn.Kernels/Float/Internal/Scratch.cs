using System.Runtime.CompilerServices;

namespace Ddnn.Kernels;

/// <summary>
/// Per-thread growable float workspaces on the pinned object heap, 64-byte aligned, reused across calls so
/// kernels do not allocate per call. Each caller owns one [ThreadStatic] slot per purpose.
/// </summary>
internal static unsafe class Scratch
{
    private const int AlignFloats = 16;

    /// <summary>An aligned pointer to at least <paramref name="length"/> floats; contents are undefined.</summary>
    public static float* Floats(ref float[]? slot, long length)
    {
        if (length > int.MaxValue - 2 * AlignFloats)
            throw new ArgumentOutOfRangeException(nameof(length), length, "workspace request is too large.");
        var needed = (int)length + AlignFloats;
        if (slot is null || slot.Length < needed)
        {
            var size = Math.Max(needed, 1024);
            if (slot is not null) size = Math.Max(size, (int)Math.Min(int.MaxValue - 64L, slot.Length * 2L));
            slot = GC.AllocateUninitializedArray<float>(size, pinned: true);
        }
        var p = (float*)Unsafe.AsPointer(ref slot[0]);
        var misalignment = (nint)p & 63;
        return misalignment == 0 ? p : (float*)((byte*)p + (64 - misalignment));
    }
}
