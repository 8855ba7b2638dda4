using System.Runtime.CompilerServices;

namespace Ddnn.Kernels.Binary;

/// <summary>
/// Where the first-layer SIMD kernel hands each vector of a channel's conv sums (bias not yet added): a struct, so the
/// generic kernel is compiled (and inlined) once per destination.
/// </summary>
internal interface IQuadSink<TVector> where TVector : unmanaged
{
    /// <summary>Sums of conv row <paramref name="oy"/> follow.</summary>
    void BeginRow(int oy);

    /// <summary>The sums of <paramref name="channel"/> (0..3 in the group) at columns ox, ox + 1, … of the current row.</summary>
    void Emit(int channel, TVector sum, int ox);
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
    public readonly void Emit(int channel, TVector sum, int ox) =>
        TLanes.Store(TLanes.Add(sum, TLanes.Broadcast(bias[channel])), _row + (long)channel * planeLength + ox);
}

/// <summary>
/// Turns sum + bias straight into row bit masks (see <see cref="FirstLayerConv2d.GroupRowMasks"/>): the value is
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
    public readonly void Emit(int channel, TVector sum, int ox)
    {
        var value = TLanes.Add(sum, TLanes.Broadcast(bias[channel]));
        _fireRow[channel] |= (ulong)TLanes.AtLeastBits(value, TLanes.BroadcastBits(signs[channel]), TLanes.Broadcast(keys[channel])) << ox;
        _nanRow[channel] |= (ulong)TLanes.NaNBits(value) << ox;
    }
}
