namespace Ddnn.Training.Data;

/// <summary>Where an object lands in one camera view: its pixel box, how head-on it is seen, and whether it is visible.</summary>
/// <param name="X0">Left edge in pixels from the view's left; may lie outside the view.</param>
/// <param name="Y0">Top edge in pixels from the view's top; may lie outside the view.</param>
/// <param name="X1">Right edge in pixels, at least <paramref name="X0"/>.</param>
/// <param name="Y1">Bottom edge (where the object meets the ground) in pixels, at least <paramref name="Y0"/> (image y grows downward).</param>
/// <param name="Facing">|heading · forward|: 1 when seen from the front or back, 0 when seen side-on.</param>
/// <param name="FrontOnRight">True when the object's front points to the right of the image.</param>
/// <param name="Visible">False when the object is behind the camera, too little of it is in frame, or it is occluded; the view is then blank.</param>
internal readonly record struct ScreenBox(double X0, double Y0, double X1, double Y1, double Facing, bool FrontOnRight, bool Visible)
{
    public double Width => X1 - X0;
    public double Height => Y1 - Y0;
    public double CentreX => (X0 + X1) * 0.5;
}
