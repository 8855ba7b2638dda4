using System.Runtime.CompilerServices;

namespace Ddnn.Kernels.Binary;

/// <summary>
/// Where the float-input conv's SIMD kernel hands each vector of a channel's conv sums (bias not yet added): a struct, so the
/// generic kernel is compiled (and inlined) once per destination.
/// </summary>
internal interface IQuadSink<TVector> where TVector : unmanaged
{
    /// <summary>Sums of conv row <paramref name="oy"/> follow.</summary>
    void BeginRow(int oy);

    /// <summary>
    /// The sums of <paramref name="channel"/> (0..3 in the group) at columns ox, ox + 1, … of the current row: one vector
    /// (<paramref name="first"/>) or, with <paramref name="vectors"/> = 2, two neighbouring ones.
    /// </summary>
    void Emit(int channel, TVector first, TVector second, int ox, int vectors);
}

/// <summary>Stores sum + bias into the group's float planes <c>(count, Ho, Wo)</c>.</summary>
internal unsafe struct PlaneSink<TLanes, TVector>(float* planes, float* bias, int width, int planeLength) : IQuadSink<TVector>
    where TLanes : IFloatLanes<TVector>
    where TVector : unmanaged
{
    private float* _row;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void BeginRow(int oy) => _row = planes + (long)oy * width;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Emit(int channel, TVector first, TVector second, int ox, int vectors)
    {
        var b = TLanes.Broadcast(bias[channel]);
        var destination = _row + (long)channel * planeLength + ox;
        TLanes.Store(TLanes.Add(first, b), destination);
        if (vectors == 2) TLanes.Store(TLanes.Add(second, b), destination + TLanes.Count);
    }
}

/// <summary>
/// Turns sum + bias straight into row bit masks (see <see cref="FloatBinaryConv2d.GroupRowMasks"/>): the value is
/// exactly what <see cref="PlaneSink{TLanes, TVector}"/> would store, tested before it ever leaves the registers.
/// </summary>
internal unsafe struct MaskSink<TLanes, TVector>(float* bias, uint* signs, float* keys, ulong* fire, ulong* nan) : IQuadSink<TVector>
    where TLanes : IFloatLanes<TVector>
    where TVector : unmanaged
{
    private ulong* _fireRow;
    private ulong* _nanRow;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void BeginRow(int oy)
    {
        _fireRow = fire + 4L * oy;
        _nanRow = nan + 4L * oy;
        new Span<ulong>(_fireRow, 4).Clear();
        new Span<ulong>(_nanRow, 4).Clear();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Emit(int channel, TVector first, TVector second, int ox, int vectors)
    {
        var b = TLanes.Broadcast(bias[channel]);
        var sign = TLanes.BroadcastBits(signs[channel]);
        var key = TLanes.Broadcast(keys[channel]);
        var value = TLanes.Add(first, b);
        ulong hits = TLanes.AtLeastBits(value, sign, key), nans = TLanes.NaNBits(value);
        if (vectors == 2)
        {
            value = TLanes.Add(second, b);
            hits |= (ulong)TLanes.AtLeastBits(value, sign, key) << TLanes.Count;
            nans |= (ulong)TLanes.NaNBits(value) << TLanes.Count;
        }
        _fireRow[channel] |= hits << ox;
        _nanRow[channel] |= nans << ox;
    }
}
