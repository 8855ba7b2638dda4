namespace Ddnn.Kernels.Binary;

/// <summary>A per-channel test mapping a pre-activation value to a sign bit, so pooling code is shared by int and float.</summary>
internal interface ISignTest<in T>
{
    bool Fires(T value);
}
