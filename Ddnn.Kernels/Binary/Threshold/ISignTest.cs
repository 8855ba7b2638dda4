namespace Ddnn.Kernels.Binary;

/// <summary>
/// A per-channel test mapping a pre-activation value v to +1 exactly when Lower ≤ v ≤ Upper, so pooling code is shared
/// by int accumulators and float pre-activations.
/// </summary>
internal interface ISignTest<T>
{
    /// <summary>Smallest value that fires (inclusive).</summary>
    T Lower { get; }

    /// <summary>Largest value that fires (inclusive).</summary>
    T Upper { get; }
}
