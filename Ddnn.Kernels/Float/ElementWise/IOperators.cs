using System.Runtime.Intrinsics;

namespace Ddnn.Kernels;

/// <summary>An element-wise float map with scalar, 128-, 256- and 512-bit forms that give identical results.</summary>
internal interface IUnaryOperator
{
    float Invoke(float x);
    Vector128<float> Invoke(Vector128<float> x);
    Vector256<float> Invoke(Vector256<float> x);
    Vector512<float> Invoke(Vector512<float> x);
}

/// <summary>An element-wise float function of two operands with scalar, 128-, 256- and 512-bit forms.</summary>
internal interface IBinaryOperator
{
    float Invoke(float x, float y);
    Vector128<float> Invoke(Vector128<float> x, Vector128<float> y);
    Vector256<float> Invoke(Vector256<float> x, Vector256<float> y);
    Vector512<float> Invoke(Vector512<float> x, Vector512<float> y);
}
