namespace Ddnn.Core;

public static partial class Ops
{
    /// <summary>
    /// Element-wise max over the device axis of <paramref name="stacked"/> (N, D, ...) -> (N, ...), using only
    /// the devices present for each sample. The gradient goes to the first present device holding the max.
    /// A sample with no device present yields zeros and passes no gradient (absent = 0, as in concatenation).
    /// </summary>
    public static Tensor MaxOverDevices(Tensor stacked, DeviceMask? mask = null) => MaxOverDevices(stacked, mask, Span<int>.Empty);

    /// <summary>
    /// <see cref="MaxOverDevices(Tensor,DeviceMask?)"/> that also writes, per output element, the device that
    /// won (-1 where no device is present) into <paramref name="argmaxDevice"/> (empty = skip).
    /// </summary>
    public static Tensor MaxOverDevices(Tensor stacked, DeviceMask? mask, Span<int> argmaxDevice)
    {
        var (batch, devices, inner) = DeviceAxis("max_over_devices", stacked, mask);
        Span<int> shape = stackalloc int[stacked.Rank - 1];
        OutputShape(stacked, shape);
        if (!argmaxDevice.IsEmpty && argmaxDevice.Length != batch * inner)
            throw new ArgumentException($"max_over_devices: argmaxDevice has {argmaxDevice.Length} slots, expected {batch * inner}.", nameof(argmaxDevice));
        var y = Tensor.Uninitialized(shape);
        var winners = Graph.RentCurrentInts(batch * inner);
        var x = stacked.Data.AsSpan();
        var yd = y.Data.AsSpan();
        for (var b = 0; b < batch; b++)
        {
            var outRow = yd.Slice(b * inner, inner);
            var winRow = winners.AsSpan(b * inner, inner);
            var started = false;
            for (var d = 0; d < devices; d++)
            {
                if (mask is not null && !mask.IsPresent(b, d)) continue;
                var row = x.Slice((b * devices + d) * inner, inner);
                if (!started)
                {
                    row.CopyTo(outRow);
                    winRow.Fill(d);
                    started = true;
                    continue;
                }
                for (var j = 0; j < inner; j++)
                    if (row[j] > outRow[j]) { outRow[j] = row[j]; winRow[j] = d; }
            }
            if (!started) { outRow.Clear(); winRow.Fill(-1); }
        }
        if (!argmaxDevice.IsEmpty) winners.AsSpan(0, batch * inner).CopyTo(argmaxDevice);
        if (Autograd.ShouldRecord(stacked)) Node.Attach(Graph.NewNode<MaxOverDevicesNode>().Set(batch, devices, inner, winners), y, stacked);
        return y;
    }

    /// <summary>
    /// Mean over the device axis of <paramref name="stacked"/> (N, D, ...) -> (N, ...), dividing by the number of
    /// devices present for each sample. A sample with no device present yields zeros and passes no gradient.
    /// </summary>
    public static Tensor MeanOverDevices(Tensor stacked, DeviceMask? mask = null)
    {
        var (batch, devices, inner) = DeviceAxis("mean_over_devices", stacked, mask);
        Span<int> shape = stackalloc int[stacked.Rank - 1];
        OutputShape(stacked, shape);
        var y = Tensor.Uninitialized(shape);
        var x = stacked.Data.AsSpan();
        var yd = y.Data.AsSpan();
        for (var b = 0; b < batch; b++)
        {
            var outRow = yd.Slice(b * inner, inner);
            outRow.Clear();
            var count = mask?.CountPresent(b) ?? devices;
            if (count == 0) continue;
            for (var d = 0; d < devices; d++)
                if (mask is null || mask.IsPresent(b, d))
                    Kernels.ElementWise.Add(outRow, x.Slice((b * devices + d) * inner, inner), outRow);
            Kernels.ElementWise.Scale(outRow, 1f / count, outRow);
        }
        if (Autograd.ShouldRecord(stacked)) Node.Attach(Graph.NewNode<MeanOverDevicesNode>().Set(batch, devices, inner, mask), y, stacked);
        return y;
    }

    /// <summary>(N, D, ...) -> (N, ...).</summary>
    private static void OutputShape(Tensor stacked, Span<int> shape)
    {
        shape[0] = stacked.Shape[0];
        stacked.Shape.AsSpan(2).CopyTo(shape[1..]);
    }

    private static (int Batch, int Devices, int Inner) DeviceAxis(string op, Tensor stacked, DeviceMask? mask)
    {
        OpCheck.NotNull(op, stacked, nameof(stacked));
        if (stacked.Rank < 2) throw new ArgumentException($"{op}: input {stacked.ShapeText} must be (N, D, ...) with the device axis second.", nameof(stacked));
        int batch = stacked.Shape[0], devices = stacked.Shape[1];
        if (mask is not null && (mask.Batch != batch || mask.Devices != devices))
            throw new ArgumentException($"{op}: mask is {mask.Batch}x{mask.Devices} (samples x devices) but input is {stacked.ShapeText}.", nameof(mask));
        return (batch, devices, ShapeUtil.Inner(stacked.Shape, 2));
    }

    private sealed class MaxOverDevicesNode : Node
    {
        private int batch, devices, inner;
        private int[] winners = [];

        public MaxOverDevicesNode Set(int n, int d, int rowLength, int[] winner)
        {
            (batch, devices, inner, winners) = (n, d, rowLength, winner);
            return this;
        }

        public override string OpName => "max_over_devices";

        protected internal override void Backward()
        {
            var x = Inputs[0];
            ReadOnlySpan<float> g = Output.Grad;
            var dx = x.BeginGrad(out var scratch);
            dx.Clear();
            for (var b = 0; b < batch; b++)
                for (var j = 0; j < inner; j++)
                {
                    var d = winners[b * inner + j];
                    if (d >= 0) dx[(b * devices + d) * inner + j] = g[b * inner + j];
                }
            x.CommitGrad(scratch);
        }
    }

    private sealed class MeanOverDevicesNode : Node
    {
        private int batch, devices, inner;
        private DeviceMask? mask;

        public MeanOverDevicesNode Set(int n, int d, int rowLength, DeviceMask? present)
        {
            (batch, devices, inner, mask) = (n, d, rowLength, present);
            return this;
        }

        public override string OpName => "mean_over_devices";

        protected internal override void Backward()
        {
            var x = Inputs[0];
            ReadOnlySpan<float> g = Output.Grad;
            var dx = x.BeginGrad(out var scratch);
            for (var b = 0; b < batch; b++)
            {
                var count = mask?.CountPresent(b) ?? devices;
                var gRow = g.Slice(b * inner, inner);
                for (var d = 0; d < devices; d++)
                {
                    var slot = dx.Slice((b * devices + d) * inner, inner);
                    if (count > 0 && (mask is null || mask.IsPresent(b, d))) Kernels.ElementWise.Scale(gRow, 1f / count, slot);
                    else slot.Clear();
                }
            }
            x.CommitGrad(scratch);
        }
    }
}
