using System.Runtime.CompilerServices;

namespace Ddnn.Kernels.Binary;

/// <summary>
/// The one rule for a one-sided float test and its decisive flip, shared by the lane masks, the row-mask keys and the
/// split-sum plan.
/// </summary>
internal static class OneSidedRule
{
    /// <summary>
    /// True for a one-sided test: it fires for v ≥ <paramref name="bound"/> (<paramref name="atLeast"/>) or for
    /// v ≤ bound, the other side unbounded; false for a two-sided one ("never fires" with NaN bounds).
    /// </summary>
    internal static bool OneSided(FloatSignThreshold test, out bool atLeast, out float bound)
    {
        var (lower, upper) = Bounds<FloatSignThreshold, float>(test);
        atLeast = upper == float.PositiveInfinity;
        bound = atLeast ? lower : upper;
        return atLeast || lower == float.NegativeInfinity;
    }

    /// <summary>What turns a pooled window of decisive cells into the output bit: 0 for v ≥ bound, all ones for v ≤ bound.</summary>
    internal static ulong DecisiveFlip(bool atLeast) => atLeast ? 0 : ulong.MaxValue;

    /// <summary>The firing range of a test, read through the interface without boxing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static (T Lower, T Upper) Bounds<TTest, T>(TTest test) where TTest : ISignTest<T> => (test.Lower, test.Upper);
}
