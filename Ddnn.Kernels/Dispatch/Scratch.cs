using System.Runtime.CompilerServices;

namespace Ddnn.Kernels;

/// <summary>
/// Where every kernel in Ddnn.Kernels gets its working memory. The one policy:
/// <list type="number">
/// <item>A kernel never allocates per call and never rents from <c>ArrayPool</c> (a rented array is neither pinned
/// nor aligned, and renting per call is what this type avoids).</item>
/// <item>A kernel that its caller runs in a loop (a prepared deploy block, one device sample after another) takes its
/// scratch as a caller-owned span that it checks against its own <c>ScratchLength</c>; the caller sizes it once
/// (Core's <c>DeviceWorkspace</c>).</item>
/// <item>Every other kernel, and every one-shot overload that fills rule 2's span for its caller, takes scratch from
/// this type: a <c>[ThreadStatic]</c> slot per purpose, declared next to the code that uses it, grown by doubling
/// and kept, on the pinned object heap, handed out 64-byte aligned, so pointers need no <c>fixed</c> and vector loads
/// do not straddle cache lines.</item>
/// </list>
/// Per-thread slots keep scratch private to each concurrent caller (parallel tests, several models) and to each
/// <see cref="Parallel"/> worker, and allocation-free once a thread has seen its largest size. A slot belongs to one
/// frame at a time: kernels that call each other use different slots, and a <see cref="Parallel"/> body never uses a
/// slot its caller holds (the calling thread runs parts of the loop too). Contents are undefined on entry.
/// </summary>
internal static unsafe class Scratch
{
    private const int Alignment = 64;

    /// <summary>A 64-byte aligned pointer to at least <paramref name="length"/> elements of <paramref name="slot"/>.</summary>
    public static T* Get<T>(ref T[]? slot, long length) where T : unmanaged
    {
        var slack = (Alignment + sizeof(T) - 1) / sizeof(T);
        if (length < 0 || length > Array.MaxLength - 2L * slack)
            throw new ArgumentOutOfRangeException(nameof(length), length, "workspace request is out of range.");
        var needed = (int)length + slack;
        if (slot is null || slot.Length < needed)
        {
            var size = Math.Max(needed, 1024 / sizeof(T) + slack);
            if (slot is not null) size = (int)Math.Clamp(slot.Length * 2L, size, Array.MaxLength);
            slot = GC.AllocateUninitializedArray<T>(size, pinned: true);
        }
        var start = (byte*)Unsafe.AsPointer(ref slot[0]);
        var misalignment = (nint)start & (Alignment - 1);
        return (T*)(misalignment == 0 ? start : start + (Alignment - misalignment));
    }

    /// <summary>The first <paramref name="length"/> elements from <see cref="Get{T}"/> as a span.</summary>
    public static Span<T> Span<T>(ref T[]? slot, int length) where T : unmanaged => new(Get(ref slot, length), length);
}
