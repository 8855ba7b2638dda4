namespace Ddnn.Core;

public static partial class Ops
{
    /// <summary>
    /// Device <paramref name="device"/> of a multi-device tensor (N, D, ...) -> (N, ...), copied into the active
    /// graph's storage. The gradient flows into that device's slot only (the other slots get zeros).
    /// </summary>
    public static Tensor SelectDevice(Tensor views, int device)
    {
        const string op = "select_device";
        OpCheck.NotNull(op, views, nameof(views));
        if (views.Rank < 2) throw new ArgumentException($"{op}: input {views.ShapeText} must be (N, D, ...) with the device axis second.", nameof(views));
        int batch = views.Shape[0], devices = views.Shape[1];
        if ((uint)device >= (uint)devices)
            throw new ArgumentOutOfRangeException(nameof(device), device, $"{op}: device must be in [0, {devices}) for input {views.ShapeText}.");
        var shape = new int[views.Rank - 1];
        shape[0] = batch;
        views.Shape.AsSpan(2).CopyTo(shape.AsSpan(1));
        var inner = ShapeUtil.Inner(views.Shape, 2);
        var y = Tensor.Uninitialized(shape);
        var src = views.Data.AsSpan();
        var dst = y.Data.AsSpan();
        for (var b = 0; b < batch; b++)
            src.Slice((b * devices + device) * inner, inner).CopyTo(dst.Slice(b * inner, inner));
        if (Autograd.ShouldRecord(views)) Node.Attach(new SelectDeviceNode(batch, devices, device, inner), y, views);
        return y;
    }

    private sealed class SelectDeviceNode(int batch, int devices, int device, int inner) : Node
    {
        public override string OpName => "select_device";

        protected internal override void Backward()
        {
            var x = Inputs[0];
            ReadOnlySpan<float> g = Output.Grad;
            var dx = x.BeginGrad(out var scratch);
            dx.Clear();
            for (var b = 0; b < batch; b++)
                g.Slice(b * inner, inner).CopyTo(dx.Slice((b * devices + device) * inner, inner));
            x.CommitGrad(scratch);
        }
    }
}
